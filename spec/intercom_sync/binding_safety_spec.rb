# frozen_string_literal: true

# The binding against its callers and a hostile server (issue 9, findings 3, 4, 8): arguments
# used across a GVL release, numbers that must not become undefined behaviour in C. Under
# `rake spec:asan` a use-after-free or a signed overflow aborts the run.
RSpec.describe "binding safety" do
  def retrying_client(base_delay: 0.3)
    config = IntercomSync::Configuration.new({})
    config.retry_base_delay = base_delay
    config.retry_max_delay = base_delay
    IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, config: config, pace: false)
  end

  describe "arguments mutated by another thread while the request waits" do
    # The first answer is a 503; while the client backs off (GVL released) another thread
    # rewrites the Strings it was given. Growing a String past its heap buffer moves its bytes
    # and frees the old buffer, which the retry used to read again (heap-use-after-free under
    # ASan); a short String is embedded in its object and is overwritten in place instead.
    # The backoff lasts at least half of base_delay (equal jitter): 0.4 s, against a mutator that
    # polls every 5 ms, so the rewrite lands between the two requests; the mutator's value (the
    # number of requests seen when it rewrote) lets each example check that it did.
    def mutate_during_backoff(strings)
      emulator.inject(:status, status: 503, times: 1)
      Thread.new do
        sleep 0.005 until emulator.requests.size >= 1
        strings.each { |s| s.replace("/#{'x' * 4096}") }
        emulator.requests.size
      end
    end

    it "keeps its own copy of the path" do
      path = +"/data_attributes?model=contact&padding=#{'0' * 64}" # long enough to live on the heap
      mutator = mutate_during_backoff([path])
      expect(retrying_client(base_delay: 0.8).get(path).status).to eq(200)
      expect(mutator.value).to eq(1) # rewritten during the backoff, before the retry
      expect(emulator.requests.map { |r| [r.path, r.query] }).to eq([["/data_attributes", "model=contact&padding=#{'0' * 64}"]] * 2)
    end

    it "keeps its own copy of the method" do
      method = +"GET"
      mutator = mutate_during_backoff([method])
      status, = retrying_client(base_delay: 0.8).send(:perform, method, "/data_attributes", nil)
      expect(mutator.value).to eq(1)
      expect(status).to eq(200)
      expect(emulator.requests.map(&:method)).to eq(%w[GET GET])
    end
  end

  describe "header numbers past 64 bits" do
    %w[99999999999999999 99999999999999999999999999999999].each do |reset|
      it "backs off on a 429 whose X-RateLimit-Reset is #{reset}" do
        emulator.inject(:status, status: 429, code: "rate_limit_exceeded", times: 1,
                                 headers: { "X-RateLimit-Reset" => reset, "X-RateLimit-Limit" => reset,
                                            "X-RateLimit-Remaining" => reset, "Retry-After" => reset })
        expect(retrying_client(base_delay: 0.05).get("/data_attributes").status).to eq(200)
        expect(emulator.requests.map(&:status)).to eq([429, 200])
      end
    end
  end

  describe "float settings converted to integers in C" do
    let(:snapshot) { IntercomSync::Native.generate_json({ "external_id" => "1" }) }

    [Float::INFINITY, -Float::INFINITY, Float::NAN, 1e300, -1, "120"].each do |value|
      it "refuses sync_deadline = #{value.inspect} with a ConfigurationError naming it" do
        c = retrying_client
        expect { IntercomSync::Native.sync(c, snapshot, false, value) }
          .to raise_error(IntercomSync::ConfigurationError, /sync_deadline/)
        expect(emulator.requests).to be_empty
        expect(c.get("/data_attributes").status).to eq(200) # the client was not left busy
      end
    end

    {
      timeout: [Float::INFINITY, Float::NAN, 1e300, 0, -1, "30"],
      connect_timeout: [Float::INFINITY, Float::NAN],
      max_response_bytes: [Float::INFINITY, Float::NAN, 1e300, 2**64, 0, -5, 10.5, "10"],
      max_retries: [Float::INFINITY, Float::NAN, 1e30, 2**40, -1, 3.5]
    }.each do |setting, values|
      values.each do |value|
        it "refuses #{setting} = #{value.inspect} with a ConfigurationError naming it" do
          expect do
            IntercomSync::Client.new(access_token: "t", base_url: emulator.base_url, setting => value)
          end.to raise_error(IntercomSync::ConfigurationError, /#{setting}.*#{Regexp.escape(value.inspect)}/)
        end
      end
    end

    # (configuration.rb may refuse these at assignment already; either way it is this error)
    %i[retry_base_delay retry_max_delay].each do |setting|
      it "refuses #{setting} = Infinity from the configuration with a ConfigurationError naming it" do
        expect do
          config = IntercomSync::Configuration.new({})
          config.public_send("#{setting}=", Float::INFINITY)
          IntercomSync::Client.new(access_token: "t", base_url: emulator.base_url, config: config)
        end.to raise_error(IntercomSync::ConfigurationError, /#{setting}.*Infinity/)
      end
    end

    it "still takes integers, finite floats and other real numbers for seconds" do
      c = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, timeout: 5r,
                                   connect_timeout: 0.5, max_response_bytes: 1_000_000, max_retries: 2)
      expect(c.get("/data_attributes").status).to eq(200)
    end
  end

  # The decoding is reached through a test-only entry point, built into the ASan build that
  # rake spec:asan runs (and any ISYNC_TEST_HOOKS=1 build), since the engine never writes such a result.
  describe "a sync result that fails validation" do
    before { skip "needs a test build (ISYNC_TEST_HOOKS=1)" unless native.respond_to?(:decode_sync_result) }

    let(:native) { IntercomSync::Native }
    let(:ids) do
      { "contact_id" => "5f00c0ffee", "requests" => 4,
        "teams" => [{ "id" => "7", "owned" => true, "intercom_company_id" => "c-7" }] }
    end

    it "keeps the ids and reports a typed error when a string is not UTF-8" do
      text = native.generate_json(ids.merge("warnings" => ["lead x was not merged: #{'é' * 3}"]))
      broken = text.b.sub("\xC3\xA9\"]".b, "\xC3\"]".b) # a cut through the last "é"
      result, error = native.decode_sync_result(broken)
      expect(error).to be_a(IntercomSync::ParseError).and have_attributes(message: /not valid UTF-8/)
      expect(result).to include(ids)
      expect(result["warnings"]).to eq(["lead x was not merged: éé\u{FFFD}"])
    end

    it "reports a result the engine could not write as a typed error, not NoMemoryError" do
      expect(native.decode_sync_result(nil)).to match([nil, an_instance_of(IntercomSync::ParseError)])
    end

    it "reports a result that is not an object as a typed error" do
      ["", "[1]", "{\"a\":"].each do |text|
        expect(native.decode_sync_result(text)).to match([nil, an_instance_of(IntercomSync::ParseError)])
      end
    end

    it "passes a valid result through without an error" do
      expect(native.decode_sync_result(native.generate_json(ids))).to eq([ids, nil])
    end
  end
end
