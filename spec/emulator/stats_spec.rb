# frozen_string_literal: true

# GET /__emulator/stats is the emulator's own endpoint, for monitors and benchmarks that run it
# in another process: it must not look like Intercom traffic (no token, no rate limit, not
# logged), or a monitor polling it changes what it measures.
RSpec.describe IntercomSync::Emulator, "GET /__emulator/stats" do
  def stats(token: nil, headers: {})
    raw_request(:get, "/__emulator/stats", token: token, headers: headers)
  end

  it "answers without a token from loopback, with the counts of the workspace and its traffic" do
    raw_request(:post, "/contacts", body: { role: "user", external_id: "1" })
    raw_request(:post, "/companies", body: { company_id: "7", name: "acme.com" })
    status, body, headers = stats
    expect(status).to eq(200)
    expect(headers["content-type"]).to start_with("application/json")
    expect(body).to eq("requests" => 2, "rate_limited" => 0, "connections" => 3, "contacts" => 1, "companies" => 1)
  end

  it "answers without an Accept header (curl's */* or none at all)" do
    expect(stats(headers: { "Accept" => nil }).first).to eq(200)
  end

  it "is outside the rate limit: a monitor polling it never gets a 429 nor spends the app's budget" do
    emulator.rate_limit = 2
    5.times { expect(stats.first).to eq(200) }
    5.times { expect(stats(token: emulator.token).first).to eq(200) }
    _, _, headers = raw_request(:get, "/data_attributes")
    expect(headers["x-ratelimit-remaining"]).to eq("1")
    raw_request(:get, "/data_attributes")
    expect(raw_request(:get, "/data_attributes").first).to eq(429)
    status, body, = stats
    expect(status).to eq(200)
    expect(body).to include("requests" => 3, "rate_limited" => 1)
  end

  it "is not in the request log the app's tests read" do
    stats
    raw_request(:get, "/data_attributes")
    stats
    expect(emulator.requests.map(&:path)).to eq(["/data_attributes"])
  end

  it "asks a caller that is not on loopback for the token" do
    api = IntercomSync::Emulator::API.new(emulator)
    request = lambda do |remote, auth|
      headers = auth ? { "authorization" => "Bearer #{auth}" } : {}
      api.call(IntercomSync::Emulator::HTTPServer::Request.new(
                 method: "GET", target: "/__emulator/stats", path: "/__emulator/stats", query: "", headers: headers,
                 body: "", connection_id: 1, remote_address: remote
               ))
    end
    expect(request.call("192.0.2.10", nil).status).to eq(401)
    expect(request.call("192.0.2.10", "wrong").status).to eq(401)
    expect(request.call("192.0.2.10", emulator.token).status).to eq(200)
    expect(request.call("::1", nil).status).to eq(200)
    expect(request.call("127.0.0.2", nil).status).to eq(200)
  end

  it "is read-only: other methods are not found" do
    expect(raw_request(:post, "/__emulator/stats", body: {}).first).to eq(404)
  end
end
