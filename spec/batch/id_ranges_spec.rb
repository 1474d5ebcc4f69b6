# frozen_string_literal: true

require "intercom_sync/batch"

RSpec.describe IntercomSync::Batch::IdRanges, sync: true do
  # The SELECTs the block sends, as SQL text.
  def selects
    queries = []
    subscriber = ActiveSupport::Notifications.subscribe("sql.active_record") do |*, payload|
      queries << payload[:sql] if payload[:sql].start_with?("SELECT")
    end
    yield
    queries
  ensure
    ActiveSupport::Notifications.unsubscribe(subscriber)
  end

  def ids_in(ranges, relation = User.all)
    ranges.map { |first, last| relation.where(id: first..last).order(:id).pluck(:id) }
  end

  it "covers every user exactly once in ranges of the given size, across gaps in the ids" do
    users = Array.new(14) { |i| create_user(email: "r#{i}@example.com") }
    gone = users.values_at(1, 2, 3, 7, 13).each(&:destroy)
    User.connection.execute("UPDATE sqlite_sequence SET seq = 1000 WHERE name = 'users'") # a jump in the ids
    late = Array.new(3) { |i| create_user(email: "late#{i}@example.com") }
    expected = (users - gone + late).map(&:id)

    ranges = described_class.new(User.all, size: 4).to_a
    expect(ids_in(ranges)).to eq(expected.each_slice(4).to_a)
    expect(ranges.flatten).to eq(ranges.flatten.sort) # in id order, not overlapping
    expect(ranges.last.last).to eq(late.last.id)
  end

  it "reads boundaries a row or two at a time, never every id: one query per range, the first id and the last" do
    Array.new(10) { |i| create_user(email: "q#{i}@example.com") }
    ranges = nil
    sql = selects { ranges = described_class.new(User.all, size: 3).to_a }
    expect(ranges.size).to eq(4)
    expect(sql.size).to eq(ranges.size + 2) # (the last range holds fewer: its end is a MAX)
    expect(sql).to all(match(/LIMIT|MAX\(/))
  end

  it "keeps to the relation's own conditions and ignores its order" do
    users = Array.new(9) { |i| create_user(email: "s#{i}@example.com", plan: i.even? ? "pro" : "free") }
    relation = User.where(plan: "pro").order(email: :desc)
    ranges = described_class.new(relation, size: 2).to_a
    expect(ids_in(ranges, relation.reorder(nil))).to eq(users.select { |u| u.plan == "pro" }.map(&:id).each_slice(2).to_a)
  end

  it "has no range for no users" do
    expect(described_class.new(User.all, size: 5).to_a).to eq([])
  end

  it "refuses a size under 1" do
    expect { described_class.new(User.all, size: 0) }.to raise_error(ArgumentError, /size/)
  end
end
