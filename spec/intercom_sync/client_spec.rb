# frozen_string_literal: true

require "timeout"

RSpec.describe IntercomSync::Client do
  def monotonic
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  describe "requests" do
    it "sends the token, version, JSON headers and a user agent naming the gem" do
      client.post("/contacts", { role: "user", external_id: "1", email: "a@example.com" })
      headers = emulator.requests.last.headers
      expect(headers["authorization"]).to eq("Bearer #{emulator.token}")
      expect(headers["intercom-version"]).to eq("2.16")
      expect(headers["accept"]).to eq("application/json")
      expect(headers["content-type"]).to eq("application/json")
      expect(headers["user-agent"]).to start_with("intercom_sync/#{IntercomSync::VERSION} ")
      expect(headers).not_to have_key("expect")
    end

    it "sends the configured Intercom-Version" do
      client(api_version: "2.14").get("/data_attributes?model=contact")
      expect(emulator.requests.last.headers["intercom-version"]).to eq("2.14")
    end

    it "encodes the body as JSON and decodes the response into a Hash with UTF-8 strings" do
      response = client.post("/contacts", { role: "user", external_id: "7", email: "zoë@example.com", name: "Zoë" })
      expect(emulator.requests.last.json).to include("email" => "zoë@example.com", "name" => "Zoë")
      expect(response.status).to eq(200)
      expect(response.body["name"]).to eq("Zoë")
      expect(response.body["name"].encoding).to eq(Encoding::UTF_8)
      expect(response.request_id).to match(/\A\h{8}-/)
    end

    it "returns the X-RateLimit-* headers of every response" do
      rate_limit = client.get("/data_attributes").rate_limit
      expect(rate_limit.limit).to eq(IntercomSync::Emulator::DEFAULT_RATE_LIMIT)
      expect(rate_limit.remaining).to eq(IntercomSync::Emulator::DEFAULT_RATE_LIMIT - 1)
      expect(rate_limit.reset_at).to be_within(11).of(Time.now.to_i + 5)
    end

    it "uses PUT and DELETE with the right bodies" do
      id = client.post("/contacts", { role: "user", external_id: "1" }).body["id"]
      client.put("/contacts/#{id}", { name: "New" })
      company = client.post("/companies", { company_id: "t1" }).body
      client.post("/contacts/#{id}/companies", { id: company["id"] })
      client.delete("/contacts/#{id}/companies/#{company['id']}")
      expect(emulator.requests.map { |r| [r.method, r.body.empty?] }.last(2)).to eq([["POST", false], ["DELETE", true]])
      expect(emulator.contact(id)["name"]).to eq("New")
      expect(emulator.company_ids_of(id)).to be_empty
    end
  end

  describe "connections" do
    it "reuses one connection for sequential requests (keep-alive)" do
      c = client
      20.times { c.get("/data_attributes?model=contact") }
      expect(emulator.connections_opened).to eq(1)
      expect(c.stats).to eq(requests: 20, connections: 1, retries: 0, paced: 0)
    end

    # libcurl resends a request on a fresh connection when a reused one dies before any byte
    # of the answer: the server may have closed an idle keep-alive connection.
    it "opens a new connection when the server closed the kept-alive one" do
      c = client
      c.get("/data_attributes")
      emulator.inject(:close, times: 1)
      expect(c.get("/data_attributes").status).to eq(200)
      expect(emulator.connections_opened).to eq(2)
      expect(emulator.requests.map(&:status)).to eq([200, :close, 200])
    end

    it "raises ConnectionError when a fresh connection closes without an answer" do
      emulator.inject(:close, times: 1)
      expect { client.get("/data_attributes") }.to raise_error(IntercomSync::ConnectionError, /Empty reply/i)
    end

    it "closes its connections on #close and refuses requests afterwards" do
      c = client
      c.get("/data_attributes")
      c.close
      c.close # idempotent
      expect(c).to be_closed
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::Error, /closed/)
    end
  end

  describe "base URLs" do
    it "maps the regions to Intercom's hosts" do
      expect(described_class.new(access_token: "t", base_url: :us).base_url).to eq("https://api.intercom.io")
      expect(described_class.new(access_token: "t", base_url: :eu).base_url).to eq("https://api.eu.intercom.io")
      expect(described_class.new(access_token: "t", base_url: "au").base_url).to eq("https://api.au.intercom.io")
    end

    it "allows plain http to loopback hosts" do
      %w[http://127.0.0.1:9 http://127.1.2.3:9 http://localhost:9 http://[::1]:9].each do |url|
        expect { described_class.new(access_token: "t", base_url: url) }.not_to raise_error
      end
    end

    it "refuses plain http to any other host, so the token never crosses a network in clear" do
      %w[http://example.com http://10.0.0.1 http://127.0.0.1.example.com http://api.intercom.io].each do |url|
        expect { described_class.new(access_token: "secret-token", base_url: url) }
          .to raise_error(IntercomSync::ConfigurationError, /refusing plain http/) { |e| expect(e.message).not_to include("secret-token") }
      end
    end

    it "refuses other schemes, credentials in the URL and queries" do
      expect { described_class.new(access_token: "t", base_url: "ftp://example.com") }.to raise_error(IntercomSync::ConfigurationError)
      expect { described_class.new(access_token: "t", base_url: "https://user:pw@example.com") }
        .to raise_error(IntercomSync::ConfigurationError) { |e| expect(e.message).not_to include("pw") }
      expect { described_class.new(access_token: "t", base_url: "https://example.com/?x=1") }.to raise_error(IntercomSync::ConfigurationError)
      expect { described_class.new(access_token: "t", base_url: "not a url") }.to raise_error(IntercomSync::ConfigurationError)
    end

    it "requires a token without control characters" do
      expect { described_class.new(access_token: nil, base_url: :us, config: IntercomSync::Configuration.new({})) }
        .to raise_error(IntercomSync::ConfigurationError, /access token/)
      expect { described_class.new(access_token: "abc\r\nX-Evil: 1", base_url: :us) }
        .to raise_error(IntercomSync::ConfigurationError) { |e| expect(e.message).not_to include("abc") }
    end
  end

  describe "TLS" do
    emulator_options tls: IntercomSync::Emulator::TLS.generate(hosts: ["localhost"])

    it "refuses a server whose certificate it cannot verify" do
      expect(emulator.base_url).to start_with("https://localhost:")
      expect { client.get("/data_attributes") }.to raise_error(IntercomSync::TLSError)
      expect(emulator.requests).to be_empty
    end

    it "talks to it once its CA file is configured" do
      response = client(ca_file: emulator_options[:tls].ca_file).get("/data_attributes")
      expect(response.status).to eq(200)
    end

    it "refuses a certificate issued for another host even from a trusted CA" do
      other = IntercomSync::Emulator::TLS.generate(hosts: ["other.example"])
      IntercomSync::Emulator.start(tls: other, host_name: "localhost") do |emu|
        c = described_class.new(access_token: emu.token, base_url: emu.base_url, ca_file: other.ca_file)
        expect { c.get("/data_attributes") }.to raise_error(IntercomSync::TLSError, /localhost|certificate|subject/i)
        expect(emu.requests).to be_empty
      end
    end
  end

  describe "timeouts and limits" do
    it "raises TimeoutError when the response takes longer than the timeout, and stays usable", timing: true do
      emulator.inject(:latency, seconds: 2, times: 1)
      c = client(timeout: 0.3)
      started = monotonic
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::TimeoutError) { |e| expect(e.curl_code).to eq(28) }
      expect(monotonic - started).to be < 1.5
      expect(c.get("/data_attributes").status).to eq(200)
    end

    it "raises ResponseTooLargeError past max_response_bytes (Content-Length known)" do
      emulator.inject(:oversize, bytes: 50_000, times: 1)
      c = client(max_response_bytes: 10_000)
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::ResponseTooLargeError, /10000 bytes/)
      expect(c.get("/data_attributes").status).to eq(200)
    end

    it "raises ResponseTooLargeError past max_response_bytes (body without a length)" do
      emulator.inject(:oversize, bytes: 50_000, stream: true, times: 1)
      c = client(max_response_bytes: 10_000)
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::ResponseTooLargeError)
      expect(c.get("/data_attributes").status).to eq(200)
    end

    it "rejects non-positive timeouts" do
      expect { client(timeout: 0) }.to raise_error(IntercomSync::ConfigurationError)
    end
  end

  describe "paths and bodies" do
    it "refuses dot segments and unescaped characters without sending anything" do
      c = client
      ["/contacts/../admins", "/contacts/./x", "contacts", "/contacts/a b", "/contacts/a#b", "/contacts/\u00e9"].each do |path|
        expect { c.get(path) }.to raise_error(IntercomSync::ConfigurationError)
      end
      expect { c.get("/contacts/a\0b") }.to raise_error(ArgumentError)
      expect(emulator.requests).to be_empty
    end

    it "refuses bodies JSON cannot hold without sending anything" do
      c = client
      expect { c.post("/contacts", { x: Float::NAN }) }.to raise_error(IntercomSync::EncodeError, /NaN/)
      expect { c.post("/contacts", { x: "\xff".b }) }.to raise_error(IntercomSync::EncodeError, /UTF-8/)
      expect { c.post("/contacts", { x: Object.new }) }.to raise_error(IntercomSync::EncodeError, /Object/)
      expect(emulator.requests).to be_empty
    end
  end

  describe "errors" do
    def error_for(&block)
      block.call
      raise "expected an error"
    rescue IntercomSync::Error => e
      e
    end

    it "raises AuthenticationError for a wrong token, without the token in the message" do
      c = described_class.new(access_token: "wrong-token-123", base_url: emulator.base_url)
      e = error_for { c.get("/contacts/wrong-token-123") }
      expect(e).to be_a(IntercomSync::AuthenticationError)
      expect([e.http_status, e.code]).to eq([401, "unauthorized"])
      expect(e.message).to include("[FILTERED]").and include("Access Token Invalid")
      expect(e.message).not_to include("wrong-token-123")
      expect(e.inspect + e.full_message).not_to include("wrong-token-123")
    end

    it "raises NotFoundError with Intercom's code, message and request id" do
      e = error_for { client.get("/contacts/5f0c0000") }
      expect(e).to be_a(IntercomSync::NotFoundError)
      expect(e.message).to eq("GET /contacts/5f0c0000: HTTP 404 not_found: User Not Found")
      expect(e.request_id).to match(/\A\h{8}-\h{4}-/)
    end

    it "raises ConflictError carrying the existing contact's id, and whether it is archived" do
      existing = emulator.seed_contact(role: "user", external_id: "9", email: "c@example.com")
      e = error_for { client.post("/contacts", { role: "user", external_id: "9" }) }
      expect(e).to be_a(IntercomSync::ConflictError)
      expect([e.existing_id, e.archived?]).to eq([existing["id"], false])

      archived = emulator.seed_contact(role: "user", external_id: "10", archived: true)
      e = error_for { client.post("/contacts", { role: "user", external_id: "10" }) }
      expect([e.existing_id, e.archived?]).to eq([archived["id"], true])
    end

    it "raises ContactMergedError with the canonical id for a merged contact (2.16)" do
      lead = emulator.seed_contact(role: "lead", email: "m@example.com")
      user = emulator.seed_contact(role: "user", external_id: "u", email: "m@example.com")
      emulator.merge(lead["id"], user["id"])
      e = error_for { client.get("/contacts/#{lead['id']}") }
      expect(e).to be_a(IntercomSync::ContactMergedError).and be_a(IntercomSync::NotFoundError)
      expect([e.http_status, e.code, e.canonical_id]).to eq([410, "contact_merged", user["id"]])
    end

    it "raises ParameterInvalidError when a custom attribute is not defined" do
      e = error_for { client.post("/contacts", { role: "user", external_id: "1", custom_attributes: { plan: "pro" } }) }
      expect(e).to be_a(IntercomSync::ParameterInvalidError).and be_a(IntercomSync::BadRequestError)
      expect(e.message).to include("Custom attribute 'plan' does not exist")
    end

    it "raises RateLimitError past the limit, with the window's reset time" do
      emulator.rate_limit = 2
      c = client
      2.times { c.get("/data_attributes") }
      e = error_for { c.get("/data_attributes") }
      expect(e).to be_a(IntercomSync::RateLimitError)
      expect([e.http_status, e.code, e.limit, e.remaining]).to eq([429, "rate_limit_exceeded", 2, 0])
      expect(e.reset_at).to be_between(Time.now.to_i, Time.now.to_i + 10)
    end

    {
      [400, "bad_request"] => IntercomSync::BadRequestError,
      [403, "forbidden"] => IntercomSync::ForbiddenError,
      [403, "token_unauthorized"] => IntercomSync::ForbiddenError,
      [401, "token_revoked"] => IntercomSync::AuthenticationError,
      [406, "media_type_not_acceptable"] => IntercomSync::NotAcceptableError,
      [422, "unprocessable_entity"] => IntercomSync::UnprocessableEntityError,
      [418, "teapot"] => IntercomSync::ClientError,
      [500, "server_error"] => IntercomSync::ServerError,
      [503, "service_unavailable"] => IntercomSync::ServiceUnavailableError,
      [504, "gateway_timeout"] => IntercomSync::ServerError,
      [302, "moved"] => IntercomSync::RedirectError
    }.each do |(status, code), klass|
      it "raises #{klass} for HTTP #{status} #{code}" do
        emulator.inject(:status, status: status, code: code, times: 1, headers: { "Location" => "https://evil.example/" })
        e = error_for { client.get("/data_attributes") }
        expect(e).to be_an_instance_of(klass)
        expect([e.http_status, e.code]).to eq([status, code])
        expect(emulator.requests.size).to eq(1) # a redirect is never followed
      end
    end

    it "raises ServerError for an HTML error page, saying the body was not JSON" do
      emulator.inject(:html, status: 502, times: 1)
      e = error_for { client.get("/data_attributes") }
      expect(e).to be_a(IntercomSync::ServerError)
      expect(e.message).to include("HTTP 502 Bad Gateway (non-JSON body, text/html)")
    end

    {
      malformed_json: /invalid JSON/,
      empty_body: /empty body/
    }.each do |fault, message|
      it "raises ParseError for a 200 with #{fault}" do
        emulator.inject(fault, times: 1)
        expect { client.get("/data_attributes") }.to raise_error(IntercomSync::ParseError, message)
      end
    end

    it "raises ParseError for a 200 HTML page" do
      emulator.inject(:html, status: 200, times: 1)
      expect { client.get("/data_attributes") }.to raise_error(IntercomSync::ParseError, %r{text/html})
    end

    it "raises ConnectionError when the connection is reset, closed or cut short" do
      c = client
      emulator.inject(:reset, times: 1)
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::ConnectionError)
      emulator.inject(:close, times: 1)
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::ConnectionError, /Empty reply/i)
      emulator.inject(:truncate, times: 1)
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::ConnectionError, /truncated/)
      expect(c.get("/data_attributes").status).to eq(200)
    end

    it "raises ConnectionError when nothing listens" do
      port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
      c = described_class.new(access_token: "t", base_url: "http://127.0.0.1:#{port}")
      expect { c.get("/contacts") }.to raise_error(IntercomSync::ConnectionError) { |e| expect(e.curl_code).to eq(7) }
    end

    # A DNS failure without sending a DNS query anywhere: the lookup runs in a fresh network
    # namespace with no interfaces, where the resolver fails at once (no route).
    it "raises DNSError when the host name cannot be resolved", subprocess: true do
      unless Process.uid.zero? && system("unshare -n true", err: File::NULL)
        skip "needs root and unshare(1) to run a lookup in an isolated network namespace"
      end
      script = 'require "intercom_sync"
                begin
                  IntercomSync::Client.new(access_token: "t", base_url: "https://api.intercom.io").get("/contacts")
                rescue IntercomSync::DNSError => e
                  print [e.class, e.curl_code, e.message].join("|")
                end'
      lib = File.expand_path("../../lib", __dir__)
      out = IO.popen(["unshare", "-n", RbConfig.ruby, "-I", lib, "-e", script], err: File::NULL, &:read)
      expect(out).to eq("IntercomSync::DNSError|6|GET /contacts: Could not resolve host: api.intercom.io")
    end

    it "puts every error class under IntercomSync::Error" do
      classes = IntercomSync.constants.map { |c| IntercomSync.const_get(c) }.select { |c| c.is_a?(Class) && c < Exception }
      expect(classes.size).to be >= 25
      expect(classes).to all(be <= IntercomSync::Error)
      expect(IntercomSync::Error.superclass).to eq(StandardError)
    end
  end

  describe "threads", timing: true do
    it "releases the GVL while waiting: N threads on a slow endpoint take about the time of one" do
      emulator.inject(:latency, seconds: 0.5, path: "/data_attributes")
      clients = Array.new(4) { client }
      started = monotonic
      clients.map { |c| Thread.new { c.get("/data_attributes") } }.each(&:join)
      elapsed = monotonic - started
      expect(elapsed).to be < 1.5 # serially this is at least 2 s
    end

    it "lets Thread#kill interrupt a blocked request promptly, and the client still works" do
      emulator.inject(:stall, seconds: 20, times: 1)
      c = client
      thread = Thread.new { c.get("/data_attributes") }
      sleep 0.2
      started = monotonic
      thread.kill
      expect(thread.join(2)).to eq(thread)
      expect(monotonic - started).to be < 1.0
      expect(c.get("/data_attributes").status).to eq(200)
    end

    it "lets Timeout interrupt a blocked request promptly, and the client still works" do
      emulator.inject(:stall, seconds: 20, times: 1)
      c = client
      started = monotonic
      expect { Timeout.timeout(0.3) { c.get("/data_attributes") } }.to raise_error(Timeout::Error)
      expect(monotonic - started).to be < 1.3
      expect(c.get("/data_attributes").status).to eq(200)
    end

    it "lets Thread#raise deliver an exception into a blocked request" do
      emulator.inject(:stall, seconds: 20, times: 1)
      c = client
      thread = Thread.new { c.get("/data_attributes") }
      thread.report_on_exception = false
      sleep 0.2
      thread.raise(ArgumentError, "stop")
      expect { thread.join(2) }.to raise_error(ArgumentError, "stop")
    end

    it "refuses a second thread on a client that is mid-request" do
      emulator.inject(:latency, seconds: 0.5, times: 1)
      c = client
      thread = Thread.new { c.get("/data_attributes") }
      sleep 0.15
      expect { c.get("/data_attributes") }.to raise_error(IntercomSync::BusyError, /one client per thread/)
      expect(thread.value.status).to eq(200)
    end
  end

  describe "fork" do
    it "works in a forked child on fresh connections, and keeps working in the parent" do
      c = client
      c.get("/data_attributes")
      reader, writer = IO.pipe
      pid = fork do
        reader.close
        status = c.get("/data_attributes").status
        writer.write([status, c.stats[:connections]].join(","))
        writer.close
        exit!(0)
      end
      writer.close
      Process.wait(pid)
      expect(reader.read).to eq("200,1") # the child's own, new connection
      expect(c.get("/data_attributes").status).to eq(200)
      expect(emulator.connections_opened).to eq(2)
      expect(emulator.requests.map(&:connection_id)).to eq([1, 2, 1]) # parent still on its first
    end
  end

  describe "#inspect" do
    it "never shows the token" do
      c = described_class.new(access_token: "tok-secret-42", base_url: emulator.base_url)
      expect(c.inspect).not_to include("tok-secret-42")
      expect(c.instance_variables.map { |v| c.instance_variable_get(v).to_s }.join).not_to include("tok-secret-42")
    end
  end
end
