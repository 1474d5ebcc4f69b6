# frozen_string_literal: true

require "active_support/encrypted_configuration"
require "yaml"

# What a developer does to adopt the gem, in a copy of this checkout as a fresh clone has it (no
# compiled extension) with the app under spec/ as it was before the install (no initializer, no
# metadata columns): boot it with the gem as a path gem, run the generator, migrate, sync a user.
# Each step runs only when the one before it worked.
#
# needs helper B's feature: the extension built on first require of a path gem, the
# intercom_sync:install generator, the token read from credentials.
RSpec.describe "Installing intercom_sync in a Rails app from a fresh checkout", :rails_app do
  token = "e2e-install-token-51c2"
  installed = ["config/initializers/intercom_sync.rb", "db/migrate/20240101000003_add_intercom_metadata_to_users_and_teams.rb",
               "db/schema.rb"]

  before(:context) do
    @workspace = IntercomSync::Emulator.start(token: token)
    @checkout = RailsAppHarness.fresh_checkout
    root = File.join(@checkout, "spec", "rails_app")
    installed.each { |file| FileUtils.rm_f(File.join(root, file)) }
    write_credentials(root, "intercom" => { "access_token" => token })
    @app = RailsAppHarness::App.new(root: root, database: File.join(@checkout, "development.sqlite3"),
                                    emulator: @workspace)

    @steps = {}
    # The first boot: with the extension missing, it is built now (or the app says how to build it).
    @steps[:boot] = @app.run("bin/rails", "db:migrate")
    @steps[:generate] = @app.run("bin/rails", "generate", "intercom_sync:install") if @steps[:boot].success?
    @steps[:migrate] = @app.run("bin/rails", "db:migrate") if @steps[:generate]&.success?
    if @steps[:migrate]&.success?
      @steps[:sync] = @app.run("bin/rails", "runner", <<~RUBY, env: { "INTERCOM_ACCESS_TOKEN" => nil })
        user = User.create!(email: "new@example.com", name: "New User", plan: "pro", seats: 2)
        result = SyncWithIntercom.perform(user)
        puts JSON.generate("contact_id" => result&.contact_id, "metadata" => user.reload.metadata)
      RUBY
    end
  end

  after(:context) { @workspace&.stop }

  def write_credentials(root, content)
    key = ActiveSupport::EncryptedConfiguration.generate_key
    File.write(File.join(root, "config", "master.key"), key)
    ActiveSupport::EncryptedConfiguration.new(config_path: File.join(root, "config", "credentials.yml.enc"),
                                              key_path: File.join(root, "config", "master.key"),
                                              env_key: "RAILS_MASTER_KEY", raise_if_missing_key: true)
                                         .write(content.to_yaml)
  end

  def step(name)
    @steps.fetch(name) { raise "not run: an earlier step failed (#{@steps.map { |n, r| "#{n}: #{r.success?}" }.join(', ')})" }
  end

  def file(path)
    File.read(File.join(@app.root, path))
  end

  it "boots with the gem as a path gem whose extension was never compiled" do
    boot = step(:boot)
    expect(boot).to be_success
    expect(boot.output).not_to match(/Ignoring intercom_sync|extensions are not built/)
    expect(Dir[File.join(@checkout, "**", "intercom_sync_ext.so")]).not_to be_empty
  end

  it "generates an initializer with every setting commented but the custom-attribute allow-list" do
    generate = step(:generate)
    expect(generate).to be_success
    initializer = file("config/initializers/intercom_sync.rb")
    %w[access_token base_url enabled unknown_attributes rate_limit].each do |setting|
      expect(initializer).to match(/^\s*#\s*\w+\.#{setting}\s*=/)
    end
    expect(initializer).to match(/^\s*\w+\.custom_attributes\s*=/)
  end

  it "generates a migration that adds a JSON metadata column to users and teams, and says what to do next" do
    generate = step(:generate)
    migration = Dir[File.join(@app.root, "db", "migrate", "*.rb")].map { |path| File.read(path) }
                                                                  .find { |text| text.include?("metadata") }
    expect(migration).to include(":users", ":teams", ":json") # its effect: see the db:migrate example
    expect(generate.stdout).to include("db:migrate")
  end

  it "migrates: users and teams get their metadata column" do
    expect(step(:migrate)).to be_success
    schema = file("db/schema.rb")
    %w[users teams].each do |table|
      expect(schema[/create_table "#{table}".*?^  end/m]).to include('t.json "metadata"')
    end
  end

  it "syncs a user with the generated files and the token from credentials" do
    sync = step(:sync)
    expect(sync).to be_success
    result = JSON.parse(sync.stdout.lines.last)
    contact = @workspace.contact_by_external_id("1")
    expect(contact).to include("email" => "new@example.com", "name" => "New User")
    expect(result).to eq("contact_id" => contact["id"], "metadata" => { "intercom_user_id" => contact["id"] })
  end
end
