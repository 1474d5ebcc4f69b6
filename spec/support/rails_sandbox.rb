# frozen_string_literal: true

require "fileutils"
require "open3"
require "rbconfig"
require "tmpdir"

# A throwaway Rails 7.2 app (ActiveRecord on SQLite, ActiveJob) in a temporary directory, with
# intercom_sync as a `path:` gem, driven through its own bin/rails in subprocesses: the spec
# process never loads Rails. Specs that use it are tagged :rails_app (seconds per boot).
class RailsSandbox
  GEM_ROOT = File.expand_path("../..", __dir__)

  # What an app would have after `rails new --minimal` and a User with teams; nothing of ours.
  FILES = {
    "config/boot.rb" => <<~RUBY,
      ENV["BUNDLE_GEMFILE"] ||= File.expand_path("../Gemfile", __dir__)
      require "bundler/setup"
    RUBY
    "config/application.rb" => <<~RUBY,
      require_relative "boot"
      require "rails"
      require "active_model/railtie"
      require "active_job/railtie"
      require "active_record/railtie"
      Bundler.require(*Rails.groups)

      module SandboxApp
        class Application < Rails::Application
          config.load_defaults 7.2
          config.eager_load = ENV["EAGER_LOAD"] == "1"
          config.active_job.queue_adapter = :test
          config.logger = ActiveSupport::Logger.new(File.expand_path("../log/\#{Rails.env}.log", __dir__))
        end
      end
    RUBY
    "log/.keep" => "",
    "tmp/.keep" => "",
    "config/environment.rb" => <<~RUBY,
      require_relative "application"
      Rails.application.initialize!
    RUBY
    "config/database.yml" => <<~YAML,
      development:
        adapter: sqlite3
        database: db/development.sqlite3
    YAML
    "Rakefile" => <<~RUBY,
      require_relative "config/application"
      Rails.application.load_tasks
    RUBY
    "bin/rails" => <<~RUBY,
      #!/usr/bin/env ruby
      APP_PATH = File.expand_path("../config/application", __dir__)
      require_relative "../config/boot"
      require "rails/commands"
    RUBY
    "app/models/application_record.rb" => <<~RUBY,
      class ApplicationRecord < ActiveRecord::Base
        primary_abstract_class
      end
    RUBY
    "app/models/user.rb" => <<~RUBY,
      class User < ApplicationRecord
        has_many :memberships
        has_many :teams, through: :memberships
        has_many :owned_teams, class_name: "Team", foreign_key: :owner_id
      end
    RUBY
    "app/models/team.rb" => <<~RUBY,
      class Team < ApplicationRecord
        belongs_to :owner, class_name: "User", optional: true
      end
    RUBY
    "app/models/membership.rb" => <<~RUBY,
      class Membership < ApplicationRecord
        belongs_to :user
        belongs_to :team
      end
    RUBY
    # users lack metadata; teams have it already (as text), as in an app that stored other things there
    "db/migrate/20240101000000_create_tables.rb" => <<~RUBY
      class CreateTables < ActiveRecord::Migration[7.2]
        def change
          create_table :users do |t|
            t.string :email
            t.string :name
            t.string :phone_number
            t.string :timezone
            t.string :plan
            t.datetime :last_request_at
            t.timestamps
          end
          create_table :teams do |t|
            t.string :domain
            t.integer :monthly_spend
            t.references :owner
            t.text :metadata
            t.timestamps
          end
          create_table :memberships do |t|
            t.references :user
            t.references :team
          end
        end
      end
    RUBY
  }.freeze

  attr_reader :root

  # A migrated app template per gem checkout, made once per process and copied for each example.
  def self.create(dir, gem_path: GEM_ROOT)
    @templates ||= {}
    template = @templates[gem_path] ||= begin
      template_dir = Dir.mktmpdir("intercom-sync-app-template")
      at_exit { FileUtils.rm_rf(template_dir) }
      new(template_dir, gem_path: gem_path).setup
    end
    FileUtils.cp_r(File.join(template.root, "."), dir)
    new(dir, gem_path: gem_path)
  end

  def initialize(root, gem_path: GEM_ROOT)
    @root = root
    @gem_path = gem_path
  end

  def setup(migrate: true)
    FILES.each { |path, content| write(path, content) }
    FileUtils.chmod(0o755, path("bin/rails"))
    write("Gemfile", <<~RUBY)
      source "https://rubygems.org"
      gem "railties", "~> 7.2.0"
      gem "activerecord", "~> 7.2.0"
      gem "activejob", "~> 7.2.0"
      gem "sqlite3", ">= 1.7"
      gem "intercom_sync", path: #{@gem_path.inspect}
    RUBY
    # Only gems already installed (by the gem's own bundle): no network. `install`, not `lock`:
    # it also writes the wrappers of the gem's executables, as an app's `bundle install` does.
    run!("bundle", "install", "--local", "--quiet")
    run!("bin/rails", "db:migrate") if migrate
    self
  end

  def path(relative)
    File.join(root, relative)
  end

  def write(relative, content)
    FileUtils.mkdir_p(File.dirname(path(relative)))
    File.write(path(relative), content)
  end

  def read(relative)
    File.read(path(relative))
  end

  # The environment of a shell in the app: our own `bundle exec` left out.
  def env(extra = {})
    base = defined?(Bundler) ? Bundler.unbundled_env : ENV.to_h
    base.merge("BUNDLE_GEMFILE" => path("Gemfile"), "RAILS_ENV" => "development", "DISABLE_SPRING" => "1")
        .merge(extra)
  end

  # [output (stdout and stderr), Process::Status]
  def run(*command, env: {}, stdin: "")
    Open3.capture2e(self.env(env), *command, chdir: root, stdin_data: stdin, unsetenv_others: true)
  end

  def run!(*command, **options)
    out, status = run(*command, **options)
    raise "#{command.join(' ')} failed in #{root}:\n#{out}" unless status.success?

    out
  end

  def rails(*args, **options)
    run("bin/rails", *args, **options)
  end

  # Starts a command without waiting: [pid, reader of its output]
  def spawn(*command, env: {})
    reader, writer = IO.pipe
    pid = Process.spawn(self.env(env), *command, chdir: root, in: File::NULL, out: writer, err: writer,
                                                 unsetenv_others: true)
    writer.close
    [pid, reader]
  end
end
