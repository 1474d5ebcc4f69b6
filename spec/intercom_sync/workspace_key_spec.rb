# frozen_string_literal: true

# One workspace key (Configuration.workspace_key) keys the attribute cache and, passed by every
# Client, the C core's shared rate-limit budget.
RSpec.describe "the workspace key" do
  let(:token) { "dG9rOjEyMzQ1Njc4OTAtc2VjcmV0LXRva2Vu" }

  it "names the URL and a digest of the token, never the token" do
    key = IntercomSync::Configuration.workspace_key("https://api.intercom.io", token)
    expect(key).to start_with("https://api.intercom.io|")
    expect(key).not_to include(token)
    expect(key).not_to include(token[0, 8])
    expect(IntercomSync::Configuration.workspace_key("https://api.intercom.io", "#{token}x")).not_to eq(key)
    expect(IntercomSync::Configuration.workspace_key("https://api.eu.intercom.io", token)).not_to eq(key)
  end

  it "is the same for a configuration and a client of its workspace" do
    config = IntercomSync::Configuration.new
    config.access_token = token
    config.base_url = :eu
    expect(config.workspace_key).to eq(IntercomSync::Configuration.workspace_key("https://api.eu.intercom.io", token))
    expect(config.workspace_key_for(config.base_url, token)).to eq(config.workspace_key)
  end

end
