# frozen_string_literal: true

RSpec.describe IntercomSync::IdSet do
  subject(:set) { described_class.new }

  it "adds each id once, whatever its form" do
    ids = ["0", "7", "8", "42", 42, "134217727", "134217728", "99999999999", "007", "-1", "u-1", "ü", ""]
    expect(ids.map { |id| set.add?(id) }).to eq([true, true, true, true, false, true, true, true, true, true, true, true, true])
    expect(ids.map { |id| set.include?(id) }).to all(be(true))
    expect(["1", "9", "43", "7 ", "u-2", "134217729"].map { |id| set.include?(id) }).to all(be(false))
  end

  it "keeps a million decimal ids in a bitmap of 125 KB" do
    1_000_000.times { |i| set.add?(i.to_s) }
    expect(set.instance_variable_get(:@bits).bytesize).to eq(125_000)
    expect(set.include?("999999")).to be(true)
    expect(set.include?("1000000")).to be(false)
  end

  it "clears, giving its memory back at once" do
    %w[7 123456 u-1].each { |id| set.add?(id) }
    expect(set.clear).to be(set)
    expect(set.instance_variable_get(:@bits).bytesize).to eq(0)
    expect(%w[7 123456 u-1].map { |id| set.include?(id) }).to all(be(false))
    expect(set.add?("7")).to be(true)
  end
end
