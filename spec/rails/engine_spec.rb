# frozen_string_literal: true

require "active_support"
require "active_support/encrypted_configuration"

# IntercomSync::Engine inside a generated Rails 7.2 app (subprocesses; see RailsSandbox).
RSpec.describe "IntercomSync::Engine in a Rails app", :rails_app do
  around do |example|
    Dir.mktmpdir("intercom-sync-engine") do |dir|
      @app = RailsSandbox.create(dir)
      example.run
    end
  end

  attr_reader :app

  def runner(code, env: {})
    out, status = app.rails("runner", code, env: env)
    expect(status).to be_success, out
    out
  end

  # The app's development credentials, encrypted with a fresh key, as `bin/rails credentials:edit
  # --environment development` would leave them.
  def write_credentials(yaml)
    key_path = app.path("config/credentials/development.key")
    FileUtils.mkdir_p(File.dirname(key_path))
    File.write(key_path, ActiveSupport::EncryptedConfiguration.generate_key)
    ActiveSupport::EncryptedConfiguration.new(config_path: app.path("config/credentials/development.yml.enc"),
                                              key_path: key_path, env_key: "RAILS_MASTER_KEY",
                                              raise_if_missing_key: true).write(yaml)
  end

  it "autoloads SyncWithIntercomJob from the engine in runner and the console, with nothing loading ActiveJob first" do
    out = runner("job = SyncWithIntercomJob; puts job.queue_name, job.instance_method(:perform).source_location.first")
    expect(out.lines.map(&:chomp)).to eq(["crm_sync", File.join(RailsSandbox::GEM_ROOT, "app/jobs/sync_with_intercom_job.rb")])

    out, status = app.rails("console", stdin: "puts SyncWithIntercomJob.queue_name\n")
    expect(status).to be_success, out
    expect(out).to include("crm_sync")
    expect(out).not_to include("uninitialized constant")
  end

  it "leaves the app's own app/jobs/sync_with_intercom_job.rb in charge (Zeitwerk shadows the engine's)" do
    app.write("app/jobs/sync_with_intercom_job.rb", <<~RUBY)
      class SyncWithIntercomJob < ActiveJob::Base
        queue_as :the_apps_own
        def perform(user) = user
      end
    RUBY
    out = runner("puts SyncWithIntercomJob.queue_name, SyncWithIntercomJob.rescue_handlers.size")
    expect(out.lines.map(&:chomp)).to eq(%w[the_apps_own 0])
  end

  it "eager loads cleanly, as in production (zeitwerk:check)" do
    out, status = app.rails("zeitwerk:check", env: { "EAGER_LOAD" => "1" })
    expect(status).to be_success, out
    expect(out).to include("All is good!")
  end

  it "loads the rake tasks" do
    out, status = app.rails("-T", "intercom_sync")
    expect(status).to be_success, out
    expect(out).to include("intercom_sync:sync", "intercom_sync:plan", "intercom_sync:emulator")
  end

  it "takes settings from credentials.intercom, ENV over them and the app's initializer over both" do
    write_credentials(<<~YAML)
      intercom:
        access_token: token-from-credentials
        enabled: true
        timeout: 12
        base_url: eu
        custom_attributes: [plan]
        app_id: the-messenger-app-id
    YAML
    show = "c = IntercomSync.configuration; puts c.access_token, c.enabled?, c.timeout, c.base_url, c.custom_attributes.inspect"
    expect(runner(show).lines.map(&:chomp))
      .to eq(["token-from-credentials", "true", "12", "https://api.eu.intercom.io", '["plan"]'])

    app.write("config/initializers/intercom_sync.rb", "IntercomSync.configure { |c| c.timeout = 7 }\n")
    env = { "INTERCOM_ACCESS_TOKEN" => "token-from-env", "INTERCOM_BASE_URL" => "us", "INTERCOM_SYNC_ENABLED" => "no" }
    expect(runner(show, env: env).lines.map(&:chomp))
      .to eq(["token-from-env", "false", "7", "https://api.intercom.io", '["plan"]'])
  end

  it "refuses a bad setting in credentials at boot, naming where it came from" do
    write_credentials("intercom:\n  timeout: forever\n")
    out, status = app.rails("runner", "puts :booted")
    expect(status).not_to be_success
    expect(out).to include("IntercomSync::ConfigurationError", "credentials.intercom[:timeout]", "timeout = \"forever\" is not valid")
  end

  it "logs to Rails.logger with the access token replaced by [FILTERED]" do
    runner(<<~RUBY, env: { "INTERCOM_ACCESS_TOKEN" => "tok_secret_123456" })
      IntercomSync.configuration.logger.warn("[intercom_sync] Intercom said: bad token tok_secret_123456")
      IntercomSync.configuration.logger.info { "block form tok_secret_123456" }
    RUBY
    log = app.read("log/development.log")
    expect(log).to include("Intercom said: bad token [FILTERED]", "block form [FILTERED]")
    expect(log).not_to include("tok_secret_123456")
  end
end
