# frozen_string_literal: true

RSpec.describe IntercomSync::Configuration do
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
