# frozen_string_literal: true

# `bin/rails g intercom_sync:install` in a generated Rails 7.2 app (see RailsSandbox): users lack
# a metadata column there, teams have one (text) already.
RSpec.describe "rails g intercom_sync:install", :rails_app do
  around do |example|
    Dir.mktmpdir("intercom-sync-generator") do |dir|
      @app = RailsSandbox.create(dir)
      example.run
    end
  end

  attr_reader :app

  def generate
    out, status = app.rails("generate", "intercom_sync:install")
    expect(status).to be_success, out
    out
  end

  def migrations
    Dir[app.path("db/migrate/*_add_intercom_sync_metadata.rb")]
  end

  def runner(code, env: {})
    out, status = app.rails("runner", code, env: env)
    expect(status).to be_success, out
    out
  end

  it "writes an initializer, a migration for the table lacking metadata, and the next steps; a second run changes nothing" do
    out = generate
    expect(out).to match(%r{create\s+config/initializers/intercom_sync\.rb})
    expect(out).to match(%r{create\s+db/migrate/\d+_add_intercom_sync_metadata\.rb})
    expect(out).to include("teams.metadata exists", "bin/rails db:migrate   (metadata on users)", "bin/rails credentials:edit",
                           "after_commit { SyncWithIntercomJob.perform_later(self) }")
    expect(migrations.size).to eq(1)
    expect(File.read(migrations.first)).to include("add_column :users, :metadata, :json")
    expect(File.read(migrations.first)).not_to include(":teams")

    initializer = app.read("config/initializers/intercom_sync.rb")
    generated = [initializer, File.read(migrations.first)]
    out = generate
    expect(out).to match(%r{identical\s+config/initializers/intercom_sync\.rb})
    expect(out).to match(%r{identical\s+db/migrate/\d+_add_intercom_sync_metadata\.rb})
    expect([app.read("config/initializers/intercom_sync.rb"), *migrations.map { |m| File.read(m) }]).to eq(generated)

    # Migrated, users.metadata is JSON and teams.metadata is left as it was; a third run has no
    # migration to write.
    expect(app.rails("db:migrate").last).to be_success
    schema = app.read("db/schema.rb")
    expect(schema[/create_table "users".*?^  end/m]).to include('t.json "metadata"')
    expect(schema[/create_table "teams".*?^  end/m]).to include('t.text "metadata"')
    out = generate
    expect(out).to include("users.metadata exists", "The metadata columns are there.")
    expect(migrations.size).to eq(1)

    # An initializer the app has edited is kept.
    app.write("config/initializers/intercom_sync.rb", "#{initializer}\n# ours\n")
    expect(generate).to match(%r{skip\s+config/initializers/intercom_sync\.rb})
    expect(app.read("config/initializers/intercom_sync.rb")).to end_with("# ours\n")
  end

  it "lists every setting of the configuration, each commented with its true default, and sets the allow-lists" do
    generate
    initializer = app.read("config/initializers/intercom_sync.rb")
    settings = IntercomSync::Configuration.public_instance_methods(false).grep(/\A\w+=\z/).map { |m| m.to_s.chomp("=") }
    expect(settings.size).to be >= 26
    expect(settings.reject { |name| initializer.match?(/^  (# )?c\.#{name}\b/) }).to eq([])
    expect(initializer.lines.grep(/^  c\./).map(&:strip))
      .to eq(["c.custom_attributes = [] # e.g. %w[plan seats_used]", "c.team_custom_attributes = [] # e.g. %w[tier]"])

    # Uncommented, the lines give the defaults back (all but the examples that depend on the app).
    app.write("config/initializers/intercom_sync.rb", initializer.gsub(/^  # (c\.\w+ = )/, '  \1'))
    compare = <<~RUBY
      ours, fresh = IntercomSync.configuration, IntercomSync::Configuration.new
      differ = IntercomSync::Configuration.public_instance_methods(false).grep(/\\A\\w+=\\z/).map { |m| m.to_s.chomp("=").to_sym }
        .reject { |s| %i[enabled logger custom_attributes team_custom_attributes].include?(s) }
        .reject { |s| ours.public_send(s) == fresh.public_send(s) }
      puts differ.inspect, ours.custom_attributes.inspect, ours.logger.__getobj__.equal?(Rails.logger)
    RUBY
    expect(runner(compare).lines.map(&:chomp)).to eq(["[]", "[]", "true"])
  end

  it "gives a migration and an initializer that work: a job syncs a user, sending no custom attribute not listed" do
    generate
    expect(app.rails("db:migrate").last).to be_success
    env = { "INTERCOM_BASE_URL" => emulator.base_url, "INTERCOM_ACCESS_TOKEN" => emulator.token, "INTERCOM_SYNC_ENABLED" => "1" }
    out = runner(<<~RUBY, env: env)
      user = User.create!(email: "ann@example.com", name: "Ann", plan: "pro")
      SyncWithIntercomJob.perform_now(user)
      puts user.reload.metadata.fetch("intercom_user_id")
    RUBY
    contact = emulator.contact_by_external_id(1)
    expect(out.lines.last.chomp).to eq(contact["id"])
    expect(contact["email"]).to eq("ann@example.com")
    expect(contact["custom_attributes"].keys).not_to include("plan")
  end
end
