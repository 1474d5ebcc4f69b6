# frozen_string_literal: true

RSpec.describe IntercomSync::Emulator, "protocol" do
  it "answers 401 with an error.list and no rate-limit headers without a valid token" do
    [nil, "wrong"].each do |token|
      status, body, headers = raw_request(:get, "/contacts", token: token)
      expect(status).to eq(401)
      expect(body).to include("type" => "error.list", "errors" => [{ "code" => "unauthorized", "message" => "Access Token Invalid" }])
      expect(body["request_id"]).to be_a(String)
      expect(headers.keys.grep(/ratelimit/i)).to be_empty
    end
  end

  it "answers 406 without Accept: application/json" do
    status, body, = raw_request(:get, "/contacts", headers: { "Accept" => nil })
    expect(status).to eq(406)
    expect(body["errors"].first["code"]).to eq("media_type_not_acceptable")
    status, = raw_request(:get, "/contacts", headers: { "Accept" => "text/html" })
    expect(status).to eq(406)
  end

  it "accepts Intercom's vendor JSON media type, as the official gem sends it" do
    status, = raw_request(:get, "/data_attributes", headers: { "Accept" => "application/vnd.intercom.3+json" })
    expect(status).to eq(200)
  end

  it "puts X-RateLimit-* headers on every authenticated response, errors included" do
    [[:get, "/data_attributes"], [:get, "/contacts/nope"]].each_with_index do |(method, path), i|
      _, _, headers = raw_request(method, path)
      expect(headers["x-ratelimit-limit"]).to eq("1666")
      expect(headers["x-ratelimit-remaining"]).to eq((1665 - i).to_s)
      expect(headers["x-ratelimit-reset"].to_i % 10).to eq(0)
    end
  end

  it "answers 429 past the configured limit per window, and the request is not processed" do
    emulator.rate_limit = 3
    3.times { expect(raw_request(:get, "/data_attributes").first).to eq(200) }
    status, body, headers = raw_request(:post, "/contacts", body: { role: "user", external_id: "1" })
    expect(status).to eq(429)
    expect(body["errors"].first).to eq("code" => "rate_limit_exceeded", "message" => "Exceeded rate limit of 3 in 10_seconds")
    expect(headers["x-ratelimit-remaining"]).to eq("0")
    expect(emulator.contacts).to be_empty
  end

  it "refills the budget when the window passes" do
    clock = 1_000.0
    limiter = IntercomSync::Emulator::RateLimiter.new(limit: 2, window: 10, clock: -> { clock })
    expect(2.times.map { limiter.check("a").first }).to eq([true, true])
    expect(limiter.check("a")).to eq([false, 2, 0, 1010])
    expect(limiter.check("b").first).to be(true) # budgets are per app (token)
    clock = 1_010.0
    expect(limiter.check("a")).to eq([true, 2, 1, 1020])
  end

  it "answers 404 for unknown paths and unsupported methods" do
    expect(raw_request(:get, "/nope").first).to eq(404)
    expect(raw_request(:delete, "/data_attributes").first).to eq(404)
  end

  it "answers 400 for a body that is not JSON" do
    status, body, = raw_request(:post, "/contacts", body: "{not json")
    expect([status, body["errors"].first["code"]]).to eq([400, "parameter_invalid"])
  end

  it "answers 400 intercom_version_invalid for a malformed Intercom-Version" do
    status, body, = raw_request(:get, "/data_attributes", headers: { "Intercom-Version" => "latest" })
    expect([status, body["errors"].first["code"]]).to eq([400, "intercom_version_invalid"])
  end

  it "logs each request with its headers, body, status and connection" do
    raw_request(:post, "/contacts", body: { role: "user", external_id: "1" })
    raw_request(:get, "/contacts/nope")
    log = emulator.requests
    expect(log.map { |r| [r.method, r.path, r.status] }).to eq([["POST", "/contacts", 200], ["GET", "/contacts/nope", 404]])
    expect(log.first.json).to eq("role" => "user", "external_id" => "1")
    expect(log.first.headers["intercom-version"]).to eq("2.16")
    expect(log.map(&:connection_id)).to eq([1, 2]) # Net::HTTP.start opens one connection each
    expect(emulator.connections_opened).to eq(2)
    emulator.clear_requests!
    expect(emulator.requests).to be_empty
  end

  it "forgets everything on reset!" do
    emulator.seed_contact(role: "user", external_id: "1")
    emulator.inject(:status, status: 500)
    emulator.reset!
    expect(emulator.contacts).to be_empty
    expect(raw_request(:get, "/data_attributes").first).to eq(200)
  end

  it "serves https with a generated certificate" do
    tls = IntercomSync::Emulator::TLS.generate
    IntercomSync::Emulator.start(tls: tls) do |emu|
      uri = URI("#{emu.base_url}/data_attributes")
      res = Net::HTTP.start(uri.host, uri.port, use_ssl: true, ca_file: tls.ca_file) do |http|
        http.get(uri.path, "Authorization" => "Bearer #{emu.token}", "Accept" => "application/json")
      end
      expect(res.code).to eq("200")
    end
  end

  it "runs standalone with intercom-emulator" do
    exe = File.expand_path("../../exe/intercom-emulator", __dir__)
    lib = File.expand_path("../../lib", __dir__)
    IO.popen([RbConfig.ruby, "-I", lib, exe, "--port", "0", "--token", "cli-token"], err: %i[child out]) do |io|
      url = io.gets.to_s[%r{http://127\.0\.0\.1:\d+}]
      expect(url).not_to be_nil
      c = IntercomSync::Client.new(access_token: "cli-token", base_url: url)
      expect(c.get("/data_attributes").status).to eq(200)
      Process.kill("TERM", io.pid)
    end
  end

  describe "simulated round trips", timing: true do
    emulator_options rtt: 0.1

    it "costs a new connection two round trips and a kept-alive request one" do
      c = client
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      c.get("/data_attributes")
      first = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      c.get("/data_attributes")
      second = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started - first
      expect(first).to be_between(0.2, 0.35)
      expect(second).to be_between(0.1, 0.2)
    end
  end

  describe "faults" do
    it "fires a fault only on matching requests, the given number of times" do
      emulator.inject(:status, status: 503, method: "POST", path: "/contacts", times: 2)
      expect(raw_request(:get, "/data_attributes").first).to eq(200)
      2.times { expect(raw_request(:post, "/contacts", body: { role: "user", external_id: "1" }).first).to eq(503) }
      expect(raw_request(:post, "/contacts", body: { role: "user", external_id: "1" }).first).to eq(200)
      expect(emulator.contacts.size).to eq(1) # the failed attempts changed nothing
    end

    it "matches paths by regular expression" do
      emulator.inject(:status, status: 500, path: %r{\A/contacts/})
      expect(raw_request(:get, "/contacts/x").first).to eq(500)
      expect(raw_request(:get, "/data_attributes").first).to eq(200)
    end

    it "matches the query string too" do
      emulator.inject(:status, status: 500, path: "/contacts", query: /starting_after=/)
      expect(client.get("/contacts?per_page=5").status).to eq(200)
      expect { client.get("/contacts?per_page=5&starting_after=abc") }.to raise_error(IntercomSync::ServerError)
    end

    it "with after: processes the request, then loses the answer" do
      emulator.inject(:reset, path: "/contacts", times: 1, after: true)
      expect { raw_request(:post, "/contacts", body: { role: "user", external_id: "1" }) }.to raise_error(Errno::ECONNRESET)
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.requests.last.status).to eq(:reset)
    end

    it "delays answers with latency" do
      emulator.inject(:latency, seconds: 0.3, times: 1)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      expect(raw_request(:get, "/data_attributes").first).to eq(200)
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be >= 0.3
    end

    it "cuts bodies short, sends HTML, empty and malformed bodies" do
      emulator.inject(:truncate, times: 1)
      _, body, headers = raw_request(:get, "/data_attributes") # Net::HTTP ignores the early EOF
      expect(body.bytesize).to eq(headers["content-length"].to_i / 2)
      expect(headers["connection"]).to eq("close")
      emulator.inject(:html, times: 1)
      status, body, headers = raw_request(:get, "/data_attributes")
      expect([status, headers["content-type"], body]).to match([502, "text/html", /Bad Gateway/])
      emulator.inject(:empty_body, times: 1)
      expect(raw_request(:get, "/data_attributes")[1]).to eq("")
      emulator.inject(:malformed_json, times: 1)
      expect(raw_request(:get, "/data_attributes")[1]).to eq('{"type":"contact","id":"5f0c')
    end

    it "rejects unknown fault kinds" do
      expect { emulator.inject(:meteor) }.to raise_error(ArgumentError, /unknown fault/)
    end
  end
end
