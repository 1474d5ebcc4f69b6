# frozen_string_literal: true

require "rails/generators"
require "rails/generators/active_record"

module IntercomSync
  module Generators
    # `bin/rails g intercom_sync:install`: the initializer (every setting, commented, with its
    # default), a migration adding the JSON `metadata` column the sync keeps Intercom's ids in to
    # the user and team tables that lack one, and what to do next. A second run changes nothing.
    class InstallGenerator < ::Rails::Generators::Base
      include ::ActiveRecord::Generators::Migration

      source_root File.expand_path("templates", __dir__)
      desc "Adds config/initializers/intercom_sync.rb and a migration for the metadata columns intercom_sync needs"

      class_option :user_table, type: :string, desc: "The users' table (default: config.user_class's, else users)"
      class_option :team_table, type: :string,
                                desc: "The teams' table (default: that of the user's teams association, else teams)"

      def create_initializer
        # skip: an initializer the app has edited is kept (a second run says "identical" or "skip")
        template "initializer.rb", "config/initializers/intercom_sync.rb", skip: true
      end

      def create_metadata_migration
        @tables = MetadataTables.new(user_table, team_table)
        @tables.notes.each { |status, note| say_status status, note, :blue }
        return if @tables.lacking.empty?

        migration_template "migration.rb", File.join(db_migrate_path, "add_intercom_sync_metadata.rb")
      end

      def show_next_steps
        say <<~TEXT

          intercom_sync is installed. Next:
            1. #{@tables.lacking.empty? ? 'The metadata columns are there.' : "bin/rails db:migrate   (metadata on #{@tables.lacking.join(' and ')})"}
            2. bin/rails credentials:edit, and add
                 intercom:
                   access_token: <your Intercom access token>
                   enabled: true
               (or INTERCOM_ACCESS_TOKEN and INTERCOM_SYNC_ENABLED=true in the environment)
            3. List the custom attributes to send in config/initializers/intercom_sync.rb: none until you do.
            4. Sync a user when it changes, e.g. in app/models/#{user_class_name.underscore}.rb:
                 after_commit { SyncWithIntercomJob.perform_later(self) }
               and look before you leap: bin/rails "intercom_sync:plan[<user id>]" (a dry run)
        TEXT
      end

      private

      def user_class_name
        IntercomSync.configuration.user_class.to_s
      end

      def user_table
        options[:user_table] || model_table(user_class_name.safe_constantize) || user_class_name.tableize.tr("/", "_")
      end

      def team_table
        options[:team_table] || association_table(:teams) || association_table(:owned_teams) || "teams"
      end

      def association_table(key)
        name = IntercomSync.configuration.user_attributes[key]
        user_class = user_class_name.safe_constantize
        reflection = name && user_class.respond_to?(:reflect_on_association) && user_class.reflect_on_association(name)
        model_table(reflection&.klass)
      rescue NameError, ArgumentError # an association naming a class that does not exist (yet)
        nil
      end

      def model_table(klass)
        klass.table_name if klass.is_a?(Class) && klass < ::ActiveRecord::Base && !klass.abstract_class?
      end

      # The values the initializer shows are the configuration's own defaults, as Ruby literals.
      def default(name)
        literal(IntercomSync::Configuration.new({}).public_send(name))
      end

      def literal(value)
        case value
        when Integer then value.abs >= 10_000 ? value.to_s.reverse.scan(/\d{1,3}/).join("_").reverse : value.to_s
        when Array
          return value.inspect if value.empty?

          value.all?(Symbol) ? "%i[#{value.join(' ')}]" : "%w[#{value.join(' ')}]"
        else value.inspect
        end
      end

      def json_type
        ::ActiveRecord::Base.connection_db_config.adapter.to_s.match?(/postg/i) ? :jsonb : :json
      rescue ::ActiveRecord::ActiveRecordError
        :json
      end
    end

    # Which of the user and team tables need a metadata column, read from the app's database
    # when it can be reached (else both are assumed to).
    class MetadataTables
      attr_reader :lacking, :notes

      def initialize(*tables)
        @lacking = []
        @notes = []
        tables.uniq.each { |table| sort(table) }
      end

      private

      def sort(table)
        connection = ::ActiveRecord::Base.connection
        if !connection.table_exists?(table)
          @notes << [:skip, "#{table}: no such table (see --user-table and --team-table); no metadata added to it"]
        elsif connection.column_exists?(table, :metadata)
          @notes << [:identical, "#{table}.metadata exists"]
        else
          @lacking << table
        end
      rescue ::ActiveRecord::ActiveRecordError => e
        @notes << [:unknown, "#{table}: the database could not be read (#{e.class}); the migration adds metadata to it"]
        @lacking << table
      end
    end
  end
end
