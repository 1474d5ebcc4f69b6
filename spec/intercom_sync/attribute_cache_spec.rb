# frozen_string_literal: true

# The process-wide cache of attribute definitions holds what servers listed: bounded (issue 9).
RSpec.describe IntercomSync::AttributeCache do
  subject(:cache) { described_class.new }

  def defs(prefix, count)
    { "contact" => Array.new(count) { |i| ["#{prefix}#{i}", "string"] }.to_h, "company" => { "tier" => "string" } }
  end

  it "keeps what successive syncs learn while it fits" do
    cache.learn("ws", defs("a", 10))
    cache.learn("ws", defs("b", 10))
    expect(cache.fetch("ws")["contact"].size).to eq(20)
  end

  it "never holds more than 2000 definitions per model, however many new names a server lists" do
    3.times { |round| cache.learn("ws", defs("r#{round}_", 1500)) }
    contact = cache.fetch("ws")["contact"]
    expect(contact.size).to eq(1500)
    expect(contact.keys.first).to eq("r2_0") # the newest list replaced the rest
    cache.learn("ws", defs("huge", 40_001))
    expect(cache.fetch("ws")["contact"].size).to eq(2000)
  end

  it "keeps at most 16 workspaces, forgetting the one learned longest ago" do
    17.times { |i| cache.learn("ws#{i}", defs("a", 1)) }
    expect(cache.fetch("ws0")).to be_nil
    expect(cache.fetch("ws16")["contact"]).to eq("a0" => "string")
    cache.learn("ws1", defs("b", 1)) # learned again: now the newest
    cache.learn("ws17", defs("a", 1))
    expect([cache.fetch("ws1"), cache.fetch("ws2")].map(&:nil?)).to eq([false, true])
  end
end
