# frozen_string_literal: true

# A small app shaped like the seed's: users, the teams they belong to, and the teams they own,
# as ActiveRecord models on SQLite. The demo and the sync specs run on it.
require "active_record"
require "active_job"
require "json"
require "global_id"
require "active_record/connection_adapters/sqlite3_adapter"

# What Rails sets up for ActiveJob: models travel through the queue as GlobalIDs.
GlobalID.app = "intercom-sync-sample"
ActiveRecord::Base.include(GlobalID::Identification)

module SampleApp
  module_function

  LOCK_WAIT_MS = 10_000

  # Only where the database config chose no `timeout:` of its own (SampleApp.connect's): a config
  # with one keeps SQLite's busy_timeout, as a stock Rails app has it.
  ActiveRecord::ConnectionAdapters::SQLite3Adapter.set_callback(:checkout, :after) do
    raw_connection.busy_handler_timeout = LOCK_WAIT_MS unless pool.db_config.configuration_hash.key?(:timeout)
  end

  # ":memory:" gives each connection its own empty database: threads need a file.
  def connect(database = ":memory:")
    # (The gem's own writes take turns without these settings, IntercomSync::SQLiteWriteLock;
    # they are for the app's other writers: the specs' threads, another process.)
    # Writers take the lock when their transaction begins (IMMEDIATE): a deferred transaction that
    # read first cannot wait for the lock and fails with "database is locked" under threads.
    # No `timeout:` here: Rails 7.2 turns it into SQLite's busy_timeout, which waits holding the
    # GVL, so the thread that holds the lock never gets to commit (a 10 s stall, then "database
    # is locked"). The busy handler set on checkout below sleeps without the GVL.
    ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: database, pool: 20,
                                            default_transaction_mode: :immediate)
    ActiveRecord::Migration.verbose = false
    define_schema
  end

  def define_schema
    ActiveRecord::Schema.define do
      create_table :users, force: true do |t|
        t.string :email
        t.string :name
        t.string :phone_number
        t.string :timezone
        t.string :oauth_provider
        t.string :plan
        t.integer :seats
        t.text :metadata
        t.datetime :last_request_at
        t.timestamps
      end
      create_table :teams, force: true do |t|
        t.string :domain
        t.decimal :monthly_spend, precision: 10, scale: 2
        t.string :tier
        t.integer :owner_id
        t.text :metadata
        t.timestamps
      end
      create_table :memberships, force: true do |t|
        t.integer :user_id
        t.integer :team_id
      end
    end
  end
end

class Membership < ActiveRecord::Base
  belongs_to :user
  belongs_to :team
end

class Team < ActiveRecord::Base
  serialize :metadata, coder: JSON
  belongs_to :owner, class_name: "User", optional: true
  has_many :memberships, dependent: :destroy
  has_many :members, through: :memberships, source: :user
end

class User < ActiveRecord::Base
  serialize :metadata, coder: JSON
  has_many :memberships, dependent: :destroy
  has_many :teams, through: :memberships
  has_many :owned_teams, class_name: "Team", foreign_key: :owner_id

  validates :email, presence: true

  def from_oauth?
    !oauth_provider.nil? && !oauth_provider.empty?
  end
end
