# frozen_string_literal: true

# Models for the contract: the sample app's tables, read through classes that lack a part of
# what the README's "Model contract" lists.
module ContractModels
  # No `teams` association: membership must be left alone, never read as "no teams".
  class UserWithoutTeams < ActiveRecord::Base
    self.table_name = "users"
    serialize :metadata, coder: JSON
    has_many :owned_teams, class_name: "Team", foreign_key: :owner_id
    def from_oauth? = false
  end

  # Neither association.
  class UserWithoutAnyTeams < ActiveRecord::Base
    self.table_name = "users"
    serialize :metadata, coder: JSON
    def from_oauth? = false
  end

  # No phone_number column.
  class UserWithoutPhone < ActiveRecord::Base
    self.table_name = "users"
    self.ignored_columns += ["phone_number"]
    serialize :metadata, coder: JSON
    def from_oauth? = false
    def teams = []
    def owned_teams = []
  end

  # No metadata column: the contact's id could never be stored.
  class UserWithoutMetadata < ActiveRecord::Base
    self.table_name = "users"
    self.ignored_columns += ["metadata"]
    def from_oauth? = false
    def teams = []
    def owned_teams = []
  end

  class TeamWithoutMetadata < ActiveRecord::Base
    self.table_name = "teams"
    self.ignored_columns += ["metadata"]
  end

  class UserOwningTeamsWithoutMetadata < ActiveRecord::Base
    self.table_name = "users"
    serialize :metadata, coder: JSON
    has_many :owned_teams, class_name: "ContractModels::TeamWithoutMetadata", foreign_key: :owner_id
    def from_oauth? = false
    def teams = []
  end
end

RSpec.describe "the model contract (README: Model contract)", sync: true do
  before do
    define_user_attributes
    define_company_attributes
  end

  def user_as(klass, **attrs)
    klass.find(create_user(**attrs).id)
  end

  # The user's contact, stored on the user, attached to two companies.
  def contact_with_two_companies(user)
    contact = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: user.email, name: user.name)
    user.update!(metadata: { "intercom_user_id" => contact["id"] })
    %w[1001 1002].each { |cid| emulator.attach(contact["id"], emulator.seed_company(company_id: cid, name: cid)["id"]) }
    contact
  end

  describe "teams and owned_teams are optional" do
    it "without teams: detaches nothing, skips membership with a warning naming the method" do
      user = user_as(ContractModels::UserWithoutTeams)
      contact = contact_with_two_companies(user)
      result = SyncWithIntercom.perform(user)
      expect(calls.grep(/DELETE/)).to eq([])
      expect(result.companies_detached).to eq([])
      expect(emulator.company_ids_of(contact["id"]).size).to eq(2)
      expect(result.warnings).to include(a_string_matching(/ContractModels::UserWithoutTeams has no `teams`.*company membership is not synced/))
    end

    it "warns once per process and model, not on every sync" do
      user = user_as(ContractModels::UserWithoutTeams)
      contact_with_two_companies(user)
      2.times { SyncWithIntercom.perform(user) }
      expect(log.string.scan("has no `teams`").size).to eq(1)
    end

    it "without teams nor owned_teams: syncs the contact, upserts and detaches nothing" do
      user = user_as(ContractModels::UserWithoutAnyTeams)
      contact = contact_with_two_companies(user)
      result = SyncWithIntercom.perform(user)
      expect(calls.grep(/DELETE|companies/)).to eq([])
      expect(emulator.company_ids_of(contact["id"]).size).to eq(2)
      expect(result.warnings.grep(/has no `owned_teams`/).size).to eq(1)
    end

    it "still reconciles membership for a user with teams (an empty list detaches)" do
      user = create_user
      contact = contact_with_two_companies(user)
      expect(SyncWithIntercom.perform(user).companies_detached.size).to eq(2)
      expect(emulator.company_ids_of(contact["id"])).to eq([])
    end

    it "skips membership quietly when the app maps teams to nil" do
      IntercomSync.configuration.user_attributes[:teams] = nil
      user = create_user
      contact = contact_with_two_companies(user)
      result = SyncWithIntercom.perform(user)
      expect(emulator.company_ids_of(contact["id"]).size).to eq(2)
      expect(result.warnings).to eq([])
    end

    it "skips membership in a dry run too" do
      user = user_as(ContractModels::UserWithoutTeams)
      contact_with_two_companies(user)
      expect(SyncWithIntercom.plan(user).planned.map { |p| p["method"] }).not_to include("DELETE")
    end
  end

  describe "a required method missing" do
    it "raises ContractError naming the model, the method and the README section, before any request" do
      user = user_as(ContractModels::UserWithoutPhone)
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ContractError) { |e|
        expect(e.message).to include("ContractModels::UserWithoutPhone", "`phone_number`", 'README "Model contract"',
                                     "config.user_attributes[:phone]")
      }
      expect(emulator.requests).to eq([])
    end

    it "is a permanent ConfigurationError, so the job discards it" do
      expect(IntercomSync::ContractError.ancestors).to include(IntercomSync::ConfigurationError)
      expect(IntercomSync::ContractError.new("x").transient?).to be(false)
      require "intercom_sync/job"
      ActiveJob::Base.queue_adapter = :test
      ActiveJob::Base.logger = Logger.new(job_log = StringIO.new)
      expect { SyncWithIntercomJob.perform_now(user_as(ContractModels::UserWithoutPhone)) }.not_to raise_error
      expect(ActiveJob::Base.queue_adapter.enqueued_jobs).to be_empty
      expect(job_log.string).to include("gave up", "IntercomSync::ContractError")
    ensure
      ActiveJob::Base.queue_adapter = :inline
    end

    it "lets the app map a field its model lacks to nil: it is neither sent nor pulled" do
      IntercomSync.configuration.user_attributes[:phone] = nil
      user = user_as(ContractModels::UserWithoutPhone)
      emulator.seed_contact(role: "user", external_id: user.id.to_s, email: user.email, phone: "+1 555")
      result = SyncWithIntercom.perform(user)
      expect(result.fields_pulled).not_to include("phone")
      expect(user.reload.metadata["intercom_user_id"]).not_to be_nil
    end

    it "a user without a metadata column: ContractError before any request (point 3)" do
      user = user_as(ContractModels::UserWithoutMetadata)
      expect { SyncWithIntercom.perform(user) }
        .to raise_error(IntercomSync::ContractError, /UserWithoutMetadata.*`metadata`/)
      expect(emulator.requests).to eq([])
      expect(emulator.contacts).to eq([])
    end

    it "a team without a metadata column: ContractError before any request (point 3)" do
      user = user_as(ContractModels::UserOwningTeamsWithoutMetadata, owned: [create_team("acme.com")])
      expect { SyncWithIntercom.perform(user) }
        .to raise_error(IntercomSync::ContractError, /TeamWithoutMetadata.*`metadata`/)
      expect(emulator.requests).to eq([])
    end

    it "a plain object without update!: ContractError before any request" do
      user = poro_users(1, "p").first
      user.singleton_class.send(:undef_method, :update!)
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ContractError, /`update!`/)
      expect(emulator.requests).to eq([])
    end
  end
end
