# frozen_string_literal: true

RSpec.describe IntercomSync::Configuration do
  RSpec::Matchers.define_negated_matcher :not_include, :include

  it "reads the token, base URL and switch from ENV" do
    config = described_class.new("INTERCOM_ACCESS_TOKEN" => "tok", "INTERCOM_BASE_URL" => "eu",
                                 "INTERCOM_SYNC_ENABLED" => "true")
    expect([config.access_token, config.base_url, config.enabled?]).to eq(["tok", "https://api.eu.intercom.io", true])
  end

  it "defaults to the US host, API 2.16 and disabled" do
    config = described_class.new({})
    expect([config.base_url, config.api_version, config.enabled?, config.access_token])
      .to eq(["https://api.intercom.io", "2.16", false, nil])
  end

  it "treats true, 1 and yes in any case as enabled, and anything else as disabled" do
    %w[true TRUE 1 yes Yes].each { |v| expect(described_class.new("INTERCOM_SYNC_ENABLED" => v)).to be_enabled }
    ["false", "0", "no", "", "enabled", nil].each { |v| expect(described_class.new("INTERCOM_SYNC_ENABLED" => v)).not_to be_enabled }
  end

  it "accepts regions as symbols and explicit URLs" do
    config = described_class.new({})
    config.base_url = :au
    expect(config.base_url).to eq("https://api.au.intercom.io")
    config.base_url = "http://127.0.0.1:4010"
    expect(config.base_url).to eq("http://127.0.0.1:4010")
  end

  describe "validation when set, naming the setting, the value and what is accepted" do
    let(:config) { described_class.new({}) }

    [:eux, "localhost:4013", "", "  ", nil, "ftp://example.com", "https://", "api.intercom.io", 42].each do |bad|
      it "refuses base_url = #{bad.inspect}" do
        expect { config.base_url = bad }.to raise_error(IntercomSync::ConfigurationError) { |e|
          expect(e.message).to include("base_url", bad.inspect, ":us, :eu, :au", "https://")
        }
        expect(config.base_url).to eq("https://api.intercom.io") # unchanged
      end
    end

    it "suggests the scheme a host:port lacks" do
      expect { config.base_url = "localhost:4013" }
        .to raise_error(IntercomSync::ConfigurationError, %r{a scheme is missing: "http://localhost:4013"\?})
    end

    it "never echoes credentials given in a URL" do
      expect { config.base_url = "https://user:hunter2@example.com" }
        .to raise_error(IntercomSync::ConfigurationError) { |e| expect(e.message).to include("base_url").and(not_include("hunter2")) }
    end

    seconds = %i[timeout connect_timeout retry_base_delay retry_max_delay sync_deadline]
    bad_values = ["abc", "30", -1, 0, Float::INFINITY, -Float::INFINITY, Float::NAN, 86_401, true, Complex(1, 1)]
    seconds.product(bad_values).each do |name, bad|
      it "refuses #{name} = #{bad.inspect}" do
        before = config.public_send(name)
        expect { config.public_send(:"#{name}=", bad) }.to raise_error(IntercomSync::ConfigurationError) { |e|
          expect(e.message).to include(name.to_s, bad.inspect, "seconds")
        }
        expect(config.public_send(name)).to eq(before)
      end
    end

    {
      lead_window: ["x", -1, Float::INFINITY, Float::NAN, 400 * 86_400],
      max_response_bytes: ["1", 0, -5, 1.5, Float::INFINITY, 2**40],
      max_retries: ["3", -1, 101, 2.5, Float::INFINITY, nil],
      rate_limit_retries: ["3", -1, 101, 2.5, nil]
    }.each do |name, bads|
      bads.each do |bad|
        it "refuses #{name} = #{bad.inspect}" do
          expect { config.public_send(:"#{name}=", bad) }.to raise_error(IntercomSync::ConfigurationError) { |e|
            expect(e.message).to include(name.to_s, bad.inspect)
          }
        end
      end
    end

    {
      rate_limit: [:wait, "", nil, 1], unknown_attributes: [:ignore, nil, 2],
      enabled: ["false", "true", 1, :yes], pace_requests: ["false", 0]
    }.each do |name, bads|
      bads.each do |bad|
        it "refuses #{name} = #{bad.inspect} with a ConfigurationError" do
          expect { config.public_send(:"#{name}=", bad) }.to raise_error(IntercomSync::ConfigurationError) { |e|
            expect(e.message).to include(name.to_s, bad.inspect)
          }
        end
      end
    end

    it "still takes the symbols and booleans it documents" do
      config.rate_limit = "raise"
      config.unknown_attributes = :skip
      config.enabled = true
      config.pace_requests = false
      expect([config.rate_limit, config.unknown_attributes, config.enabled?, config.pace_requests]).to eq([:raise, :skip, true, false])
    end

    it "accepts sensible values, fractions and Rational included, and nil for no sync deadline" do
      config.timeout = 2.5
      config.connect_timeout = Rational(1, 2)
      config.retry_base_delay = 0.01
      config.retry_max_delay = 86_400
      config.sync_deadline = nil
      config.lead_window = 0
      config.max_response_bytes = 1024
      config.max_retries = 0
      config.rate_limit_retries = 100
      expect([config.timeout, config.connect_timeout, config.sync_deadline, config.max_retries])
        .to eq([2.5, Rational(1, 2), nil, 0])
    end

    it "refuses an Infinity sync_deadline that used to reach C as undefined behaviour" do
      IntercomSync.configure { |c| c.sync_deadline = 5 }
      expect { IntercomSync.configure { |c| c.sync_deadline = Float::INFINITY } }
        .to raise_error(IntercomSync::ConfigurationError, /sync_deadline = Infinity/)
    ensure
      IntercomSync.reset_configuration!
    end
  end

  describe "INTERCOM_BASE_URL" do
    it "treats an empty variable as unset" do
      expect(described_class.new("INTERCOM_BASE_URL" => " ").base_url).to eq("https://api.intercom.io")
    end

    it "lets an app boot with a bad value, and names the variable at first use unless the app sets base_url" do
      config = nil
      expect { config = described_class.new("INTERCOM_BASE_URL" => "eux") }.not_to raise_error
      expect(config.inspect).to include("base_url")
      expect { config.base_url }.to raise_error(IntercomSync::ConfigurationError) { |e|
        expect(e.message).to include("INTERCOM_BASE_URL", '"eux"', ":us, :eu, :au")
      }
      config.base_url = :eu
      expect(config.base_url).to eq("https://api.eu.intercom.io")
    end
  end

  it "never shows the token in inspect" do
    expect(described_class.new("INTERCOM_ACCESS_TOKEN" => "tok-123").inspect).not_to include("tok-123")
  end

  it "is what IntercomSync.configure yields, and clients use it" do
    IntercomSync.configure do |c|
      c.access_token = "from-config"
      c.base_url = :eu
      c.api_version = "2.15"
    end
    client = IntercomSync::Client.new
    expect([client.base_url, client.api_version]).to eq(["https://api.eu.intercom.io", "2.15"])
  ensure
    IntercomSync.reset_configuration!
  end
end
