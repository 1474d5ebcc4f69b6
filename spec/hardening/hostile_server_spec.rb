# frozen_string_literal: true

require "socket"

# A server that answers with huge lists, hostile ids and long multibyte messages (issue 9): the
# sync ends quickly with a result or a typed error, and never sends a request it should not.
RSpec.describe "a hostile server", sync: true do
  before do
    define_user_attributes
    define_company_attributes
    IntercomSync.configuration.sync_deadline = 5
    IntercomSync.configuration.create_first = :never # the hostile answers come to the lookup
  end

  let(:user) { create_user(created_at: Time.now - (3 * 86_400)) }

  def contact_with_companies(count)
    { "type" => "contact", "id" => "5f00000000000000000000aa", "external_id" => user.id.to_s, "role" => "user",
      "email" => user.email, "name" => user.name,
      "companies" => { "type" => "list", "data" => Array.new(count) { |i| { "type" => "company", "id" => "c#{i}" } },
                       "has_more" => false } }
  end

  # Runs the sync; returns [seconds, the exception or nil].
  def timed_sync
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    error = begin
      SyncWithIntercom.perform(user)
      nil
    rescue IntercomSync::Error => e
      e
    end
    [Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, error]
  end

  # timing: sanitizers and valgrind stretch the time; spec/c/test_hostile.c checks the same
  # bounds under them. The bound is not a speed target (bench/ prints figures): the quadratic
  # code this guards against took 11 s (80,000 companies) to 71 s (200,000), while the linear one
  # takes ~0.1-0.3 s plus the emulator's own serialising, which a loaded 2-core machine stretches.
  let(:work_bound) { 5.0 }
  describe "huge lists (bounded, O(1) lookups)", timing: true do
    # 80,000 passes the JSON value bound and is refused by the engine's company bound; 200,000
    # (600,000 values) is refused by the value bound while parsing
    { 80_000 => "more than 2000 companies", 200_000 => "more than 262144 values" }.each do |count, why|
      it "refuses a contact with #{count} embedded companies in linear time, sending nothing else" do
        emulator.inject(:body, method: "GET", path: %r{\A/contacts/find_by_external_id/}, body: contact_with_companies(count))
        seconds, error = timed_sync
        warn format("[figures] %d embedded companies: %.3f s", count, seconds) if ENV["ISYNC_FIGURES"]
        expect(error).to be_a(IntercomSync::ResponseTooLargeError)
        expect(error.message).to include(why)
        expect(seconds).to be < work_bound
        expect(contact_calls).to eq(["GET /contacts/find_by_external_id/#{user.id}"])
      end
    end

    # 40,000 entries of 4 fields stay under the JSON value bound (262,144); 80,000 are refused
    # while parsing, before the engine sees them
    it "keeps at most 2000 definitions of a 40,000-entry attribute list, in linear time" do
      defs = Array.new(40_000) { |i| { "type" => "data_attribute", "name" => "attr_#{i}", "data_type" => "string", "custom" => true } }
      emulator.inject(:body, method: "GET", path: "/data_attributes", query: "model=contact", body: { "type" => "list", "data" => defs })
      user.update!(metadata: nil)
      seconds, error = timed_sync
      warn format("[figures] 40,000 data attributes: %.3f s", seconds) if ENV["ISYNC_FIGURES"]
      expect(error).to be_nil
      expect(seconds).to be < work_bound
      workspace = "#{emulator.base_url}|#{Digest::SHA256.hexdigest(emulator.token)[0, 16]}"
      cached = IntercomSync.attribute_cache.fetch(workspace)
      expect(cached["contact"].size).to eq(2000)
      expect(user.reload.metadata["intercom_user_id"]).not_to be_nil
    end
  end

  describe "long multibyte messages (cut between characters)" do
    let(:eacute) { "\u00e9" * 300 }

    it "keeps a merge refused with 300 x \"é\" a warning, not a NoMemoryError" do
      user.update!(created_at: Time.now - 60)
      emulator.seed_contact(role: "lead", email: user.email)
      emulator.inject(:status, method: "POST", path: "/contacts/merge", status: 400, code: "invalid_merge", message: eacute)
      result = SyncWithIntercom.perform(user)
      warning = result.warnings.grep(/was not merged/).first
      expect(warning).to start_with("lead ")
      expect([warning.encoding, warning.valid_encoding?]).to eq([Encoding::UTF_8, true])
    end

    it "gives a typed error with a valid UTF-8 message whatever the cut position" do
      4.times do |pad|
        emulator.inject(:status, method: "GET", path: %r{/find_by_external_id/}, status: 400, code: "bad_request",
                                 message: ("x" * pad) + eacute, times: 1)
        expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::BadRequestError) { |e|
          expect([e.message.encoding, e.message.valid_encoding?]).to eq([Encoding::UTF_8, true])
          expect(e.message).to include("sync step")
        }
      end
    end
  end

  describe "a server echoing the token" do
    emulator_options(token: "tok_SECRET_0123456789abcdefghij")

    # The token at every position around the cuts (511 bytes in the http layer, 448 when the
    # engine names the step): no piece of it may survive, only [FILTERED].
    it "never leaves a piece of it in a client error" do
      c = client
      (380..530).step(3) do |n|
        emulator.inject(:status, method: "GET", path: "/contacts/abc", status: 400, code: "bad_request",
                                 message: ("x" * n) + emulator.token + ("y" * 40), times: 1)
        expect { c.get("/contacts/abc") }.to raise_error(IntercomSync::BadRequestError) { |e|
          expect(e.message).not_to include("tok_")
        }
      end
    end

    it "never leaves a piece of it in a message the core cut (app data quoting the token)" do
      c = client
      (455..495).each do |n|
        snapshot = { "external_id" => "1", "now" => 1, "custom_attributes" => { ("a" * n) + emulator.token => "v" },
                     "known_attributes" => { "contact" => {}, "company" => {} },
                     "options" => { "unknown_attributes" => "raise" } }
        _, error = IntercomSync::Native.sync(c, JSON.generate(snapshot), false, 5)
        expect(error).to be_a(IntercomSync::UnknownAttributeError)
        expect(error.message).not_to include("tok_")
      end
    end

    it "Configuration#redact replaces a piece of it at the end of a text" do
      config = IntercomSync::Configuration.new({})
      config.access_token = emulator.token
      expect(config.redact("you sent tok_SECRET_01")).to eq("you sent [FILTERED]")
      expect(config.redact("a #{emulator.token} b tok_S")).to eq("a [FILTERED] b [FILTERED]")
      expect(config.redact("you sent tok")).to eq("you sent tok") # 3 characters say nothing
    end

    it "never leaves a piece of it in a sync error" do
      (330..460).step(5) do |n|
        emulator.inject(:status, method: "GET", path: %r{/find_by_external_id/}, status: 400, code: "bad_request",
                                 message: ("x" * n) + emulator.token + ("y" * 40), times: 1)
        expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::BadRequestError) { |e|
          expect(e.message).not_to include("tok_")
        }
      end
    end
  end

  # A server that answers every request with the same raw bytes, for what the emulator cannot
  # send: headers that are not UTF-8.
  def raw_server(response)
    server = TCPServer.new("127.0.0.1", 0)
    thread = Thread.new do
      loop do
        socket = server.accept
        nil until socket.gets.to_s.chomp.empty?
        socket.write(response.b)
        socket.close
      end
    rescue IOError
      nil
    end
    [server, thread]
  end

  def raw_response(status, headers, body)
    head = headers.map { |k, v| "#{k}: #{v}".b }.join("\r\n".b)
    "HTTP/1.1 #{status} X\r\n".b + head + "\r\nContent-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n".b + body.b
  end

  def with_raw_client(response)
    server, thread = raw_server(response)
    yield IntercomSync::Client.new(access_token: "tok_raw_secret", base_url: "http://127.0.0.1:#{server.addr[1]}",
                                   max_retries: 0, rate_limit: :raise, pace: false)
  ensure
    server&.close
    thread&.join(1)
  end

  def valid_or_nil(text)
    text.nil? || (text.encoding == Encoding::UTF_8 && text.valid_encoding?)
  end

  describe "request ids (always valid UTF-8, or nil)" do
    it "drops an X-Request-Id header that is not UTF-8" do
      body = '{"type":"error.list","errors":[{"code":"not_found","message":"x"}]}'
      with_raw_client(raw_response(404, { "Content-Type" => "application/json", "X-Request-Id" => "\xFF\xFEid".b }, body)) do |c|
        expect { c.get("/contacts/abc") }.to raise_error(IntercomSync::NotFoundError) { |e| expect(e.request_id).to be_nil }
      end
      with_raw_client(raw_response(200, { "Content-Type" => "application/json", "X-Request-Id" => "ab\xC3".b }, "{}")) do |c|
        expect(c.get("/contacts/abc").request_id).to be_nil
      end
    end

    it "drops a body request_id too long to keep whole, rather than cutting a character in two" do
      body = JSON.generate("type" => "error.list", "request_id" => ("a" * 94) + "\u00e9",
                           "errors" => [{ "code" => "not_found", "message" => "x" }])
      with_raw_client(raw_response(404, { "Content-Type" => "application/json", "X-Request-Id" => "hdr-1" }, body)) do |c|
        expect { c.get("/contacts/abc") }.to raise_error(IntercomSync::NotFoundError) { |e|
          expect(e.request_id).to eq("hdr-1") # the header's, a plain id
        }
      end
      ok = JSON.generate("type" => "contact", "request_id" => ("b" * 94) + "\u00e9")
      with_raw_client(raw_response(200, { "Content-Type" => "application/json" }, ok)) do |c|
        expect(valid_or_nil(c.get("/contacts/abc").request_id)).to be(true)
      end
    end
  end

  describe "ids that are dot segments or hold a NUL" do
    it "refuses a stored Intercom id \"..\" before any request" do
      user.update!(metadata: { "intercom_user_id" => ".." })
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::InvalidInputError, /dot segment/)
      expect(emulator.requests).to be_empty
    end

    [".", "..", "%2E", "%252e%252E"].each do |id|
      it "refuses the user id #{id.inspect} (a dot segment once decoded) before any request" do
        poro = SyncHelpers::PoroUser.new(id: id, email: "dot@example.com", name: "Dot", created_at: Time.at(1_600_000_000),
                                         metadata: {})
        expect { SyncWithIntercom.perform(poro) }.to raise_error(IntercomSync::InvalidInputError, /dot segment/)
        expect(emulator.requests).to be_empty
      end
    end

    it "refuses a contact whose id from the server is \"..\"" do
      emulator.inject(:body, method: "GET", path: %r{/find_by_external_id/},
                             body: { "type" => "contact", "id" => "..", "external_id" => user.id.to_s, "role" => "user" })
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ParseError, /dot segment/)
      expect(calls.grep(/%2E/)).to be_empty
    end

    it "skips a company id with a NUL (never detaches a shortened id)" do
      contact = contact_with_companies(0)
      contact["id"] = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: user.email)["id"]
      contact["companies"]["data"] = [{ "type" => "company", "id" => "c\u0000../../admins" }, { "type" => "company", "id" => ".." }]
      emulator.inject(:body, method: "GET", path: %r{/find_by_external_id/}, body: contact)
      result = SyncWithIntercom.perform(user)
      expect(calls.grep(/DELETE/)).to be_empty
      expect(result.warnings.join("\n")).to include("a NUL byte; ignored").and include("dot segment; ignored")
    end
  end
end
