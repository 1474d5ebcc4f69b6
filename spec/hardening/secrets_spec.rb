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
    [-> { client.get("/contacts/#{token}") },                         # the token in a path
     -> { IntercomSync::Client.new(access_token: "#{token}\n", base_url: :us) }, # in a bad header
     -> { IntercomSync::Client.new(access_token: "wrong", base_url: emulator_with_token.base_url).get("/contacts") },
     -> { client.post("/contacts", { role: "user", external_id: token, custom_attributes: { token => 1 } }) }].each do |call|
      call.call
    rescue IntercomSync::Error => e
      texts << text_of(e)
    end
    emulator_with_token.inject(:status, status: 500, message: "echo #{token}", times: 1)
    begin
      client.get("/data_attributes")
    rescue IntercomSync::Error => e
      texts << text_of(e)
    end

    user = create_user(timezone: "UTC")
    user.name = "#{token} as a name" # the app's own data may contain it; our messages must not add it
    emulator_with_token.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com", timezone: "Bad/#{token}")
    begin
      SyncWithIntercom.perform(user)
    rescue IntercomSync::Error => e
      texts << text_of(e)
    end
    texts << client.inspect << IntercomSync.configuration.inspect << IntercomSync.thread_client.inspect
    texts << log.string

    expect(texts.size).to be >= 8
    texts.each { |text| expect(text).not_to include(token) }
  ensure
    emulator_with_token&.stop
  end

  it "cannot be sent with TLS verification off, or in clear beyond loopback" do
    expect { IntercomSync::Client.new(access_token: token, base_url: :us, verify: false) }.to raise_error(ArgumentError)
    expect { IntercomSync::Client.new(access_token: token, base_url: "http://intercom.example") }
      .to raise_error(IntercomSync::ConfigurationError)
  end
end
