# frozen_string_literal: true

require "intercom_sync/tasks"

RSpec.describe IntercomSync::Tasks::LowWaterMark, sync: true do
  let!(:ids) { Array.new(7) { |i| create_user(email: "m#{i}@example.com").id } }

  def mark_for(relation = User.all, **options)
    described_class.new(relation, "id", **options)
  end

  it "moves only past users that are all done, whatever order they finish in" do
    mark = mark_for
    expect(mark.done(ids[2])).to be(false)
    expect(mark.done(ids[1])).to be(false)
    expect(mark.mark).to be_nil
    expect(mark.done_above(10)).to eq([ids[1], ids[2]])
    expect(mark.done(ids[0])).to be(true)
    expect(mark.mark).to eq(ids[2])
    expect(mark.done_above(10)).to be_empty
  end

  it "takes a cursor's mark and ids done past it" do
    mark = mark_for(mark: ids[1], done_above: [ids[3]])
    mark.done(ids[2])
    expect(mark.mark).to eq(ids[3])
  end

  it "keeps only the lowest ids done past the mark when asked for a bounded list" do
    mark = mark_for
    ids[1..].reverse_each { |id| mark.done(id) }
    expect(mark.done_above(2)).to eq(ids[1, 2])
  end

  it "reads the users ahead a thousand at a time, not once per user" do
    stub_const("#{described_class}::READ_AHEAD", 3)
    queries = []
    counter = ->(*, payload) { queries << payload[:sql] if payload[:sql].start_with?("SELECT") }
    ActiveSupport::Notifications.subscribed(counter, "sql.active_record") do
      mark = mark_for
      ids.each { |id| mark.done(id) }
      expect(mark.mark).to eq(ids.last)
    end
    expect(queries.size).to eq(3) # 3 + 3 + 1 ids
  end

  it "walks the relation's users only: one out of scope never holds the mark back" do
    User.where(id: ids[1]).update_all(plan: "free")
    mark = mark_for(User.where(plan: "pro"))
    [ids[0], ids[2]].each { |id| mark.done(id) }
    expect(mark.mark).to eq(ids[2])
  end

  it "forgets an id done past the mark once the users read have passed it (it left the scope)" do
    mark = mark_for(User.where(plan: "pro"))
    mark.done(ids[3])
    User.where(id: ids[3]).update_all(plan: "free") # synced, and so out of a scope of unsynced users
    ids.first(3).each { |id| mark.done(id) }
    ids.last(3).each { |id| mark.done(id) }
    expect(mark.mark).to eq(ids.last)
    expect(mark.pending_count).to eq(0)
  end
end
