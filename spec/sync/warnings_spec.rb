# frozen_string_literal: true

# Warnings a sync logs: those about the app's setup or the workspace (the same for every user)
# once per process and distinct text, those about one user's data each time; any kind can be
# silenced in configuration. Result#warnings always has them all.
RSpec.describe "Warnings in the log", sync: true do
  before do
    define_user_attributes
    define_company_attributes
  end

  def warning_lines(text)
    log.string.lines.grep(/\AW, .*#{Regexp.escape(text)}/)
  end

  let(:standard_name) { "'name' is a standard Intercom company field, not a custom attribute; not sent" }

  # Owners of a team whose custom attributes include "name" (a standard company field).
  def owners(count)
    IntercomSync.configuration.team_custom_attributes = ->(team) { { "name" => team.domain, "tier" => team.tier } }
    Array.new(count) { |i| create_user(email: "o#{i}@example.com", owned: [create_team("t#{i}.example.com")]) }
  end

  describe "about the app's setup" do
    it "logs one once per process, however many syncs repeat it, and keeps it in each result" do
      results = owners(3).map { |user| SyncWithIntercom.perform(user) }
      expect(results.map { |r| r.warnings.count(standard_name) }).to eq([1, 1, 1])
      lines = warning_lines(standard_name)
      expect(lines.size).to eq(1)
      expect(lines.first).to end_with("[intercom_sync] #{standard_name}\n") # about no user in particular
    end

    it "logs each distinct one once" do
      IntercomSync.configuration.unknown_attributes = :skip
      emulator.reset!
      2.times { |i| SyncWithIntercom.perform(create_user(email: "x#{i}@example.com")) }
      %w[plan seats].each do |name|
        expect(warning_lines("custom contact attribute '#{name}' is not defined in Intercom; not sent").size).to eq(1)
      end
    end

    it "logs one once when many threads hit it at the same moment" do
      IntercomSync.configuration.unknown_attributes = :skip
      emulator.reset!
      report = SyncWithIntercom.perform_all(poro_users(16, "t"), concurrency: 8, prefetch: false)
      expect(report.failed).to eq(0)
      expect(warning_lines("custom contact attribute 'seats' is not defined in Intercom; not sent").size).to eq(1)
    end

    it "logs it again in a forked child (once per process, not per process tree)" do
      config = IntercomSync.configuration
      expect(config.first_time?("warning x")).to be(true)
      expect(config.first_time?("warning x")).to be(false)
      allow(Process).to receive(:pid).and_return(Process.pid + 1)
      expect(config.first_time?("warning x")).to be(true)
    end
  end

  describe "about one user's data" do
    it "logs it for each sync, naming the user" do
      users = Array.new(2) { |i| create_user(email: "n#{i}@example.com", name: "N" * 300) }
      users.each { |user| SyncWithIntercom.perform(user) }
      lines = warning_lines("the name was cut to 255 characters")
      expect(lines.size).to eq(2)
      users.zip(lines).each { |user, line| expect(line).to include("user #{user.id}: the name was cut") }
    end
  end

  describe "config.silenced_warnings" do
    it "silences the kinds it names in the log only" do
      IntercomSync.configuration.silenced_warnings = [:standard_field]
      result = SyncWithIntercom.perform(owners(1).first)
      expect(result.warnings).to include(standard_name)
      expect(warning_lines(standard_name)).to eq([])
    end

    it "leaves the other kinds logged" do
      IntercomSync.configuration.silenced_warnings = ["undefined_attribute"]
      SyncWithIntercom.perform(owners(1).first)
      expect(warning_lines(standard_name).size).to eq(1)
    end

    it "takes a callable given the kind and the message" do
      seen = []
      IntercomSync.configuration.silenced_warnings = lambda do |kind, message|
        seen << [kind, message]
        message.include?("'name'")
      end
      SyncWithIntercom.perform(owners(1).first)
      expect(seen).to include([:standard_field, standard_name])
      expect(warning_lines(standard_name)).to eq([])
    end

    it "logs the warning anyway when the callable raises, and says so once" do
      IntercomSync.configuration.silenced_warnings = ->(_kind, _message) { raise "oops" }
      users = owners(2)
      users.each { |user| expect(SyncWithIntercom.perform(user)).to be_a(IntercomSync::Result) }
      expect(warning_lines(standard_name).size).to eq(1)
      expect(warning_lines("config.silenced_warnings raised RuntimeError: oops").size).to eq(1)
    end

    it "covers the warnings said outside the core too: secrets left out, the sync off" do
      config = IntercomSync.configuration
      config.silenced_warnings = %i[secret_attributes disabled]
      user = create_user
      def user.as_json(*) = super.merge("api_token" => "s3cr3t")
      SyncWithIntercom.perform(user)
      expect(log.string).not_to include("not sent to Intercom")
      config.enabled = false
      SyncWithIntercom.perform(user)
      expect(log.string).not_to include("disabled")
    end

    it "silences everything with :all" do
      IntercomSync.configuration.silenced_warnings = :all
      SyncWithIntercom.perform(create_user(name: "N" * 300, owned: [create_team("a.example.com")]))
      expect(log.string.lines.grep(/\AW, /)).to eq([])
    end

    it "refuses what it cannot use, naming the kinds" do
      config = IntercomSync.configuration
      expect { config.silenced_warnings = [:standard_feild] }
        .to raise_error(IntercomSync::ConfigurationError, /silenced_warnings.*:standard_feild.*standard_field/m)
      expect { config.silenced_warnings = "standard_field" }.to raise_error(IntercomSync::ConfigurationError)
      expect { config.silenced_warnings = [1] }.to raise_error(IntercomSync::ConfigurationError)
      expect(config.silenced_warnings).to eq([])
      config.silenced_warnings = nil
      expect(config.silenced_warnings).to eq([])
    end
  end

  describe IntercomSync::Warnings do
    # The texts of the core (ext/intercom_sync/isync_*.c) and of lib/, one of each kind.
    {
      "'name' is a standard Intercom company field, not a custom attribute; not sent" => :standard_field,
      "custom attribute 'plan' is a integer in Intercom; this value cannot be stored there and was not sent" => :attribute_type,
      "custom company attribute 'tier' is not defined in Intercom; not sent" => :undefined_attribute,
      "Intercom listed more than 2000 contact data attributes; only the first 2000 are used" => :too_many_attributes,
      'custom attribute "a b" collides with "a_b"; not sent' => :attribute_name,
      'custom attribute "%%" has no usable name; not sent' => :attribute_name,
      "the team name was cut to 255 characters" => :text_cut,
      'custom attribute "bio" was cut to 255 characters' => :text_cut,
      "the email is not a valid address; not sent (the contact is synced by external_id)" => :invalid_email,
      "Intercom listed a company of the contact with no id; ignored" => :company_ignored,
      "the prefetched contact is not this user's; looking the user up" => :contact_mismatch,
      "stored Intercom id 6650 belongs to another contact; looking up by external id" => :contact_mismatch,
      "Intercom found a lead with no id; not merged" => :lead_not_merged,
      "more than 50 leads share this user's email; only the first 50 are merged" => :lead_not_merged,
      "lead 123 was not merged: HTTP 500" => :lead_not_merged,
      "something new from a later version" => :other
    }.each do |text, kind|
      it "sorts #{text[0, 40].inspect} as #{kind}" do
        expect(described_class.kind_of(text)).to eq(kind)
      end
    end

    it "names every kind in KINDS, with whether it is said once per process" do
      expect(described_class::KINDS.keys).to include(:standard_field, :secret_attributes, :model_contract, :disabled, :other)
      expect(described_class::KINDS.values.map(&:last).uniq).to contain_exactly(:process, :user)
    end
  end
end
