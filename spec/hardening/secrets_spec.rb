# frozen_string_literal: true

# The access token must never reach anything we print or raise.
RSpec.describe "the access token", sync: true do
  let(:token) { "secret-TOKEN-0123456789" }

  def text_of(error)
    [error.message, error.inspect, error.full_message(highlight: false), error.code, error.request_id].join("\n")
  end

  it "appears in no exception, inspect or log line, whatever fails" do
    emulator_with_token = IntercomSync::Emulator.start(token: token)
    log = StringIO.new
    IntercomSync.configure do |c|
      c.base_url = emulator_with_token.base_url
      c.access_token = token
      c.logger = Logger.new(log)
      c.max_retries = 0
    end
    define = IntercomSync::Client.new(access_token: token, base_url: emulator_with_token.base_url)
    { "plan" => "string", "seats" => "integer", "deleted" => "boolean" }.each do |n, t|
      define.post("/data_attributes", { name: n, model: "contact", data_type: t })
    end

    texts = []
    client = IntercomSync::Client.new(access_token: token, base_url: emulator_with_token.base_url, max_retries: 0)
    emulator_with_token.inject(:status, status: 500, message: "echo #{token}", times: 1, path: "/data_attributes")
    # each of these must fail, and its error is checked: none may slip through by not raising
    {
      "the token in a path" => [-> { client.get("/contacts/#{token}") }, IntercomSync::NotFoundError],
      "in a bad header" => [-> { IntercomSync::Client.new(access_token: "#{token}\n", base_url: :us) },
                            IntercomSync::ConfigurationError],
      "a wrong token" => [-> { IntercomSync::Client.new(access_token: "wrong", base_url: emulator_with_token.base_url).get("/contacts") },
                          IntercomSync::AuthenticationError],
      "in a body Intercom refuses" => [-> { client.post("/contacts", { role: "user", external_id: token, custom_attributes: { token => 1 } }) },
                                       IntercomSync::ClientError],
      "echoed by the server" => [-> { client.get("/data_attributes") }, IntercomSync::ServerError]
    }.each do |what, (call, error)|
      expect(&call).to raise_error(error) { |e| texts << text_of(e) }, what
    end

    user = create_user(timezone: "UTC")
    user.name = "#{token} as a name" # the app's own data may contain it; our messages must not add it
    emulator_with_token.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com", timezone: "Bad/#{token}")
    expect(SyncWithIntercom.perform(user)).to be_a(IntercomSync::Result)
    texts << client.inspect << IntercomSync.configuration.inspect << IntercomSync.thread_client.inspect
    # the sync's warning about the token-bearing timezone is there, with the token filtered
    expect(log.string).to include("Ignored invalid timezone", "[FILTERED]")
    texts << log.string

    expect(texts.size).to eq(9)
    texts.each { |text| expect(text).not_to include(token) }
  ensure
    emulator_with_token&.stop
  end

  it "cannot be sent with TLS verification off, or in clear beyond loopback" do
    # no option turns verification off...
    options = IntercomSync::Client.instance_method(:initialize).parameters.map(&:last)
    expect(options.grep(/verif|insecure|ssl|tls|peer/i)).to eq([])
    # ...and a server whose certificate does not verify never sees the request, nor the token
    untrusted = IntercomSync::Emulator::TLS.generate(hosts: ["localhost"])
    IntercomSync::Emulator.start(tls: untrusted, token: token) do |emu|
      expect { IntercomSync::Client.new(access_token: token, base_url: emu.base_url).get("/contacts") }
        .to raise_error(IntercomSync::TLSError) { |e| expect(text_of(e)).not_to include(token) }
      expect(emu.connections_opened).to eq(1)
      expect(emu.requests).to eq([])
    end
    expect { IntercomSync::Client.new(access_token: token, base_url: "http://intercom.example") }
      .to raise_error(IntercomSync::ConfigurationError)
  end
end
