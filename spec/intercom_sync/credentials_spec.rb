# frozen_string_literal: true

require "intercom_sync/credentials"

RSpec.describe IntercomSync::Credentials do
  let(:config) { IntercomSync::Configuration.new({}) }

  it "applies the settings it finds and leaves other keys (the Messenger's app_id) alone" do
    applied = described_class.apply(config, { access_token: "tok", enabled: true, timeout: 9, rate_limit: "raise",
                                              custom_attributes: %w[plan], app_id: "abc", logger: "nope" }, env: {})
    expect(applied).to eq(%i[access_token enabled timeout rate_limit custom_attributes])
    expect([config.access_token, config.enabled?, config.timeout, config.rate_limit, config.custom_attributes])
      .to eq(["tok", true, 9, :raise, ["plan"]])
  end

  it "lets a variable of the environment win over its entry" do
    env = { "INTERCOM_ACCESS_TOKEN" => "from-env", "INTERCOM_BASE_URL" => " ", "INTERCOM_SYNC_ENABLED" => "0" }
    described_class.apply(config, { access_token: "from-credentials", base_url: "eu", enabled: true }, env: env)
    expect(config.access_token).to be_nil # the configuration was made from an empty ENV
    expect(config.base_url).to eq("https://api.eu.intercom.io") # a blank variable is no override
    expect(config.enabled?).to be(false)
  end

  it "merges a mapping into the default one" do
    described_class.apply(config, { user_attributes: { "phone" => "mobile" } }, env: {})
    expect(config.user_attributes).to include(phone: :mobile, email: :email)
  end

  it "does nothing without an intercom: entry" do
    expect(described_class.apply(config, nil, env: {})).to eq([])
  end

  it "names the entry a setting refuses, and refuses an entry that is not a mapping" do
    expect { described_class.apply(config, { max_retries: "3" }, env: {}) }
      .to raise_error(IntercomSync::ConfigurationError, /credentials\.intercom\[:max_retries\]: max_retries = "3" is not valid/)
    expect { described_class.apply(config, "tok", env: {}) }
      .to raise_error(IntercomSync::ConfigurationError, /must be a mapping of settings/)
  end
end
