# frozen_string_literal: true

# One table (ext/intercom_sync/isync_errors.def) defines the error classes and decides what is
# worth trying again: Error#transient?, SyncWithIntercomJob and the C core's retry policy all read it.
RSpec.describe "error classification" do
  def error_classes
    ObjectSpace.each_object(Class).select { |k| k <= IntercomSync::Error }
  end

  let(:table) { IntercomSync::Native::ERROR_TABLE }

  it "defines every class of the table under its parent, parents first, each once" do
    names = table.map { |row| row[:name] }
    expect(names).to eq(names.uniq)
    expect(names).to include("Error", "TLSError", "NotFoundError", "RedirectError", "NotAcceptableError")
    table.each_with_index do |row, index|
      klass = IntercomSync.const_get(row[:name])
      parent = row[:parent] ? IntercomSync.const_get(row[:parent]) : StandardError
      expect(klass.superclass).to eq(parent)
      expect(names.index(row[:parent])).to be < index if row[:parent]
    end
  end

  it "lists every error class the extension defines; Ruby's own (ContractError) inherit their parent's transience" do
    from_ruby = error_classes.map { |k| k.name.delete_prefix("IntercomSync::") } - table.map { |row| row[:name] }
    expect(from_ruby).to include("ContractError")
    from_ruby.each do |name|
      klass = IntercomSync.const_get(name)
      listed = klass.ancestors.find { |k| IntercomSync::TRANSIENCE.key?(k.name.to_s.delete_prefix("IntercomSync::")) }
      expect(klass.new("x").transient?).to eq(IntercomSync::TRANSIENCE.fetch(listed.name.delete_prefix("IntercomSync::")))
    end
    expect(IntercomSync::ContractError.new("x").transient?).to be(false)
  end

  it "gives each Intercom code to one class" do
    codes = table.flat_map { |row| row[:codes] }
    expect(codes).to eq(codes.uniq)
    expect(codes).to include("parameter_invalid", "token_revoked", "contact_merged", "service_unavailable")
  end

  it "Error#transient? is the table's flag for every class" do
    table.each do |row|
      expect(IntercomSync.const_get(row[:name]).new("x").transient?).to eq(row[:transient]), row[:name]
    end
  end

  it "decides the statuses whose class alone does not: 408 is worth a retry, 501, 505 and 6xx are not" do
    expect(IntercomSync.transient?(IntercomSync::ClientError, 408)).to be(true)
    expect(IntercomSync.transient?(IntercomSync::ClientError, 405)).to be(false)
    expect(IntercomSync.transient?(IntercomSync::ServerError, 501)).to be(false)
    expect(IntercomSync.transient?(IntercomSync::ServerError, 505)).to be(false)
    expect(IntercomSync.transient?(IntercomSync::ServerError, 507)).to be(true)
    expect(IntercomSync.transient?(IntercomSync::ServerError, 600)).to be(false)
    expect(IntercomSync.transient?(IntercomSync::TLSError, nil)).to be(false)
    expect(IntercomSync.transient?(IntercomSync::DNSError, nil)).to be(true)
  end

  describe "the C retry policy agrees", sync: true do
    # With one retry allowed, the core sends a request twice exactly when it deems the failure
    # transient; the error it raises in the end must say the same.
    def attempts_and_error(**options)
      IntercomSync.configuration.rate_limit_retries = 1
      emulator.clear_requests!
      client(max_retries: 1, rate_limit: :sleep, **options).get("/data_attributes")
      raise "no error"
    rescue IntercomSync::Error => e
      [emulator.requests.size, e]
    end

    [[301, nil], [400, "parameter_invalid"], [401, "unauthorized"], [403, "forbidden"], [404, "not_found"],
     [405, nil], [406, "media_type_not_acceptable"], [408, nil], [409, "conflict"], [422, nil],
     [429, "rate_limit_exceeded"], [500, "server_error"], [501, nil], [502, nil], [503, nil], [504, nil],
     [505, nil], [507, nil]].each do |status, code|
      it "on HTTP #{status}" do
        headers = status == 429 ? { "Retry-After" => "0" } : {}
        # (an unknown code leaves the class to the status)
        emulator.inject(:status, status: status, code: code || "unlisted", headers: headers, path: "/data_attributes")
        count, error = attempts_and_error
        expect(error.http_status).to eq(status)
        expect(count).to eq(error.transient? ? 2 : 1), "#{error.class} (#{status}) transient?=#{error.transient?}"
      end
    end

    {
      reset: [IntercomSync::ConnectionError, {}],
      malformed_json: [IntercomSync::ParseError, {}],
      oversize: [IntercomSync::ResponseTooLargeError, { max_response_bytes: 1024 }],
      stall: [IntercomSync::TimeoutError, { timeout: 0.3 }]
    }.each do |fault, (klass, options)|
      it "on a #{fault} fault" do
        emulator.inject(fault, path: "/data_attributes", bytes: 4096, seconds: 2)
        count, error = attempts_and_error(**options)
        expect(error).to be_a(klass)
        expect(count).to eq(error.transient? ? 2 : 1)
      end
    end

    it "on a certificate that does not verify (TLSError): one connection, no retry" do
      tls = IntercomSync::Emulator::TLS.generate(hosts: ["localhost"])
      IntercomSync::Emulator.start(tls: tls) do |emu|
        c = IntercomSync::Client.new(access_token: emu.token, base_url: emu.base_url, max_retries: 1)
        expect { c.get("/data_attributes") }.to raise_error(IntercomSync::TLSError) { |e| expect(e.transient?).to be(false) }
        expect(emu.connections_opened).to eq(1)
      end
    end
  end
end
