# frozen_string_literal: true

require "redis_client"
require "stringio"
require "timeout"

# The rate-limit budget processes share through Redis (config.rate_limit_redis_url), on a real
# redis-server of the spec's own. Two SharedBudget objects stand for two processes: they share
# nothing but the record in Redis.
RSpec.describe IntercomSync::SharedBudget do
  before(:all) { @redis_server = RedisServer.start }
  after(:all) { @redis_server&.stop }

  let(:redis) { RedisClient.new(url: @redis_server.url) }
  let(:log) { StringIO.new }
  let(:now) { 1_800_000_000_000 }

  before do
    redis.call("FLUSHALL")
    described_class.resume!
  end

  after { redis.close }

  def budget(key: "ws", url: @redis_server.url)
    described_class.new(url: url, workspace_key: key, hold_seconds: 30, logger: Logger.new(log))
  end

  def window(key = "ws")
    redis.call("HGETALL", "intercom_sync:{#{key}}:window")
  end

  def in_flight(key = "ws")
    redis.call("ZCARD", "intercom_sync:{#{key}}:in_flight")
  end

  it "sends at once while nothing is known, and learns the window from an answer's headers" do
    a = budget
    expect(a.reserve(now, 0)).to eq(0)
    expect(in_flight).to eq(1)
    a.done(now + 10, [1666, 1600, (now / 1000) + 8])
    expect(in_flight).to eq(0)
    expect(window).to include("limit" => "1666", "remaining" => "1600", "reset" => (((now / 1000) + 8) * 1000).to_s)
  end

  it "counts the requests in flight of every process against what is left" do
    a = budget
    b = budget
    a.reserve(now, 0)
    a.done(now, [4, 2, (now / 1000) + 5]) # 2 left in this window (low water: 1)
    expect(a.reserve(now, 0)).to eq(0)
    expect(b.reserve(now, 0)).to eq(0) # the second of the two left
    reset_ms = ((now / 1000) + 5) * 1000
    expect(a.reserve(now, 0)).to be >= reset_ms - now - 1 # none left: both processes' are in flight
  end

  it "spaces the rest of a low window across processes, one slot each" do
    a = budget
    b = budget
    a.reserve(now, 0)
    a.done(now, [100, 20, (now / 1000) + 10]) # 20 of 100 left: under the low-water quarter
    first = a.reserve(now, 0)
    second = b.reserve(now, 0)
    expect(first).to eq(0)
    expect(second).to be > 300 # the next slot: about (10 s left) / (20 left), after a's
  end

  it "keeps the lowest remaining of a window whose answers arrive out of order, and moves on to a newer one" do
    a = budget
    reset = (now / 1000) + 5
    [[100, 50, reset], [100, 60, reset]].each do |w|
      a.reserve(now, 0)
      a.done(now, w)
    end
    expect(window["remaining"]).to eq("50")
    a.reserve(now, 0)
    a.done(now, [100, 99, reset + 10])
    expect(window).to include("remaining" => "99", "reset" => ((reset + 10) * 1000).to_s)
  end

  it "ignores a window that is not sane (a reset hours away, a negative remaining)" do
    a = budget
    [[100, 5, (now / 1000) + 86_400], [100, -1, (now / 1000) + 5], [0, 5, (now / 1000) + 5], nil].each do |w|
      a.reserve(now, 0)
      a.done(now, w)
    end
    expect(window).to be_empty
    expect(in_flight).to eq(0)
  end

  it "forgets a reservation whose process died, once its hold has passed" do
    a = budget
    a.reserve(now, 0) # never done: the process was killed
    expect(in_flight).to eq(1)
    budget.reserve(now + 36_000, 0) # 30 s of request timeout + 5 s
    expect(in_flight).to eq(1)
  end

  it "keeps workspaces apart" do
    budget(key: "one").reserve(now, 0)
    expect([in_flight("one"), in_flight("two")]).to eq([1, 0])
  end

  it "paces inside the process alone when Redis is unreachable, saying so once, never raising" do
    down = RedisServer.new # a free port nobody listens on
    a = budget(url: down.url)
    expect(a.reserve(now, 0)).to be_nil
    expect(a.reserve(now, 0)).to be_nil # paused: not even tried
    a.done(now, [100, 5, (now / 1000) + 5])
    described_class.instance_variable_set(:@paused_until, 0.0) # the pause over: tried again, still down

    expect(a.reserve(now, 0)).to be_nil
    expect(log.string.scan("shared rate-limit budget in Redis is unusable").size).to eq(1)
    expect(log.string).not_to include(down.url)
  ensure
    down&.stop
  end

  describe "in a client (config.rate_limit_redis_url)" do
    include EmulatorHelpers

    before { IntercomSync.configuration.rate_limit_redis_url = @redis_server.url }
    after { IntercomSync.reset_configuration! }

    def paced_client
      IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, pace: true)
    end

    def key_of(client_base = emulator.base_url)
      IntercomSync.configuration.workspace_key_for(client_base, emulator.token)
    end

    it "reserves before each request and records each answer's window in Redis" do
      c = paced_client
      first = c.get("/data_attributes?model=contact").rate_limit
      second = c.get("/data_attributes?model=contact").rate_limit
      expect(in_flight(key_of)).to eq(0)
      # the emulator's windows are the clock's 10 s: the two may fall on both sides of a boundary
      expect(second.remaining).to eq(second.reset_at == first.reset_at ? 1664 : 1665)
      expect(window(key_of)).to include("limit" => "1666", "remaining" => second.remaining.to_s,
                                        "reset" => (second.reset_at * 1000).to_s)
    ensure
      c&.close
    end

    it "waits for the window's reset another process exhausted, and a Timeout ends the wait, giving the slot back" do
      c = paced_client
      reset = Time.now.to_i + 20
      redis.call("HSET", "intercom_sync:{#{key_of}}:window", "limit", 100, "remaining", 0, "reset", reset * 1000)
      expect { Timeout.timeout(0.5) { c.get("/data_attributes?model=contact") } }.to raise_error(Timeout::Error)
      expect(emulator.requests).to be_empty # (a wait Timeout could not end would have sent it, 20 s on)
      expect(in_flight(key_of)).to eq(0)
      redis.call("DEL", "intercom_sync:{#{key_of}}:window")
      expect(c.get("/data_attributes?model=contact").status).to eq(200) # the client is still usable
    ensure
      c&.close
    end

    # The budget's Ruby runs between two runs of the core's loop, never inside it: what it
    # raises (an interrupt, a bug) unwinds through Ruby alone, and the client stays usable.
    it "lets an error raised by the budget out of the request, holding nothing, the client usable" do
      c = paced_client
      budget = Object.new
      def budget.done(*) = nil
      def budget.reserve(*) = raise(ArgumentError, "the budget failed")
      c.send(:shared_budget=, budget)
      expect { c.get("/data_attributes?model=contact") }.to raise_error(ArgumentError, "the budget failed")
      expect(emulator.requests).to be_empty
      def budget.reserve(*) = 0
      reports = []
      budget.define_singleton_method(:done) { |_now, window| reports << window }
      expect(c.get("/data_attributes?model=contact").status).to eq(200)
      expect(reports.size).to eq(1)
      expect(reports.first.first(2)).to eq([1666, 1665])
    ensure
      c&.close
    end

    it "gives a reservation back when a Timeout ends the request in flight" do
      c = paced_client
      emulator.inject(:latency, seconds: 3, path: "/data_attributes")
      expect { Timeout.timeout(0.5) { c.get("/data_attributes?model=contact") } }.to raise_error(Timeout::Error)
      expect(in_flight(key_of)).to eq(0)
    ensure
      c&.close
    end

    it "is not asked by a client that does not pace" do
      c = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, pace: false)
      c.get("/data_attributes?model=contact")
      expect(window(key_of)).to be_empty
    ensure
      c&.close
    end

    it "is off by default, and refuses a URL that is not Redis's" do
      IntercomSync.reset_configuration!
      expect(IntercomSync.configuration.rate_limit_redis_url).to be_nil
      expect { IntercomSync.configuration.rate_limit_redis_url = "http://127.0.0.1:6379" }
        .to raise_error(IntercomSync::ConfigurationError, /redis:\/\/, rediss:\/\/ or unix:\/\//)
    end
  end
end
