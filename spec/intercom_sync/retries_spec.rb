# frozen_string_literal: true

require "timeout"

# timing: these examples measure waits, which valgrind and sanitizers stretch
RSpec.describe "retries and rate limits", timing: true do
  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  def retrying_client(**options)
    config = IntercomSync::Configuration.new({})
    config.retry_base_delay = 0.02
    config.retry_max_delay = 0.1
    IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, config: config, **options)
  end

  def statuses
    emulator.requests.map(&:status)
  end

  describe "transient failures" do
    {
      status_503: [:status, { status: 503 }],
      status_500: [:status, { status: 500, code: "server_error" }],
      status_502_html: [:html, { status: 502 }],
      status_504: [:status, { status: 504 }],
      reset: [:reset, {}],
      truncated_body: [:truncate, {}],
      malformed_json: [:malformed_json, {}],
      empty_body: [:empty_body, {}]
    }.each do |name, (kind, options)|
      it "retries #{name} and succeeds" do
        emulator.inject(kind, times: 2, **options)
        c = retrying_client
        expect(c.get("/data_attributes").status).to eq(200)
        expect(emulator.requests.size).to eq(3)
        expect(c.stats[:retries]).to eq(2)
      end
    end

    it "retries a timeout" do
      emulator.inject(:latency, seconds: 1, times: 1)
      expect(retrying_client(timeout: 0.2).get("/data_attributes").status).to eq(200)
    end

    it "gives up after max_retries with the last error" do
      emulator.inject(:status, status: 503)
      c = retrying_client(max_retries: 2)
      # a request outside a sync names no step
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::ServiceUnavailableError) { |e| expect(e.step).to be_nil }
      expect(emulator.requests.size).to eq(3)
    end

    it "backs off exponentially with jitter, capped" do
      emulator.inject(:status, status: 503, times: 4)
      config = IntercomSync::Configuration.new({})
      config.retry_base_delay = 0.1
      config.retry_max_delay = 0.2
      started = monotonic
      IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, config: config, max_retries: 4)
                          .get("/data_attributes")
      # waits of 0.05-0.1, then 0.1-0.2 three times (capped): 0.35 s at least, 0.7 s at most
      expect(monotonic - started).to be_between(0.35, 1.5)
    end

    [[400, "parameter_invalid"], [401, "unauthorized"], [403, "forbidden"], [404, "not_found"],
     [409, "conflict"], [422, "unprocessable_entity"]].each do |status, code|
      it "does not retry #{status} #{code}" do
        emulator.inject(:status, status: status, code: code)
        expect { retrying_client.get("/data_attributes") }.to raise_error(IntercomSync::ClientError)
        expect(emulator.requests.size).to eq(1)
      end
    end

    it "stops backing off at once when the thread is killed" do
      emulator.inject(:status, status: 503)
      config = IntercomSync::Configuration.new({})
      config.retry_base_delay = 20
      config.retry_max_delay = 20
      c = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, config: config)
      thread = Thread.new { c.get("/data_attributes") }
      sleep 0.3
      started = monotonic
      thread.kill
      expect(thread.join(2)).to eq(thread)
      expect(monotonic - started).to be < 1
      emulator.clear_faults!
      expect(c.get("/data_attributes").status).to eq(200)
    end
  end

  describe "429" do
    emulator_options rate_limit: 2, rate_limit_window: 1
    # start just after a window opens, so the requests of one example share a window
    before { sleep(1.02 - (Time.now.to_f % 1)) }

    it "sleeps until the window resets and retries (rate_limit: :sleep)" do
      c = retrying_client(pace: false)
      3.times { expect(c.get("/data_attributes").status).to eq(200) }
      expect(statuses).to eq([200, 200, 429, 200])
    end

    it "raises RateLimitError with the reset time at once (rate_limit: :raise)" do
      c = retrying_client(pace: false, rate_limit: :raise)
      2.times { c.get("/data_attributes") }
      started = monotonic
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::RateLimitError) do |e|
        expect(e.reset_at).to be_between(Time.now.to_i, Time.now.to_i + 1)
        expect(e.retry_in).to be_between(0, 1.01)
        expect(e).to be_transient
      end
      expect(monotonic - started).to be < 0.5
    end

    ["garbage", "-5", "99999999999", ""].each do |reset|
      it "backs off when X-RateLimit-Reset is #{reset.inspect}" do
        emulator.inject(:status, status: 429, code: "rate_limit_exceeded", times: 1, headers: { "X-RateLimit-Reset" => reset })
        expect(retrying_client(pace: false).get("/data_attributes").status).to eq(200)
        expect(statuses).to eq([429, 200])
      end
    end

    it "honours Retry-After" do
      emulator.inject(:status, status: 429, code: "rate_limit_exceeded", times: 1, headers: { "Retry-After" => "1" })
      started = monotonic
      retrying_client(pace: false).get("/data_attributes")
      expect(monotonic - started).to be >= 1
    end
  end

  describe "pacing" do
    emulator_options rate_limit: 10, rate_limit_window: 1

    it "spaces requests of all threads so the shared budget lasts, without 429s" do
      clients = Array.new(3) { retrying_client(rate_limit: :raise) }
      clients.first.forget_rate_limit
      started = monotonic
      clients.map { |c| Thread.new { 10.times { c.get("/data_attributes") } } }.each(&:join)
      expect(statuses.count(429)).to eq(0)
      expect(statuses.size).to eq(30)
      expect(monotonic - started).to be >= 1.5 # 30 requests at 10 a second need 3 windows
      expect(clients.sum { |c| c.stats[:paced] }).to be > 0
      expect(clients.first.rate_limit_state.first).to eq(10)
    end
  end
end
