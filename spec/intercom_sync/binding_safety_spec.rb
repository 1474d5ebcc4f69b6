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
    def mutate_during_backoff(strings)
      emulator.inject(:status, status: 503, times: 1)
      Thread.new do
        sleep 0.1 until emulator.requests.size >= 1
        strings.each { |s| s.replace("/#{'x' * 4096}") }
      end
    end

    it "keeps its own copy of the path" do
      path = +"/data_attributes?model=contact&padding=#{'0' * 64}" # long enough to live on the heap
      mutator = mutate_during_backoff([path])
      expect(retrying_client.get(path).status).to eq(200)
      mutator.join
      expect(emulator.requests.map { |r| [r.path, r.query] }).to eq([["/data_attributes", "model=contact&padding=#{'0' * 64}"]] * 2)
    end

    it "keeps its own copy of the method" do
      method = +"GET"
      mutator = mutate_during_backoff([method])
      status, = retrying_client.send(:perform, method, "/data_attributes", nil)
      mutator.join
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

    it "still takes integers and finite floats" do
      c = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, timeout: 5,
                                   connect_timeout: 0.5, max_response_bytes: 1_000_000, max_retries: 2)
      expect(c.get("/data_attributes").status).to eq(200)
    end
  end
end
