# frozen_string_literal: true

require "time"

module IntercomSync
  module Tasks
    # The users a backfill covers: all of config.user_class, or SCOPE=name (a scope or class
    # method of that class returning a relation of it), narrowed by SINCE=date (updated_at on or
    # after it); walked in primary-key order.
    class UserScope
      attr_reader :klass, :scope_name, :since

      def initialize(klass, scope_name: nil, since: nil)
        unless defined?(::ActiveRecord::Base) && klass < ::ActiveRecord::Base
          raise UsageError, "backfill walks an ActiveRecord model; config.user_class #{klass.name} is not one " \
                            "(sync other users with SyncWithIntercom.perform_all)"
        end

        @klass = klass
        @scope_name = scope_name
        @since = since && parse_since(since)
      end

      # The users to sync, as a relation.
      def relation
        @relation ||= begin
          base = @scope_name ? named_scope : @klass.all
          @since ? base.where(@klass.arel_table[:updated_at].gteq(@since)) : base
        end
      end

      def primary_key
        @klass.primary_key or raise UsageError, "#{@klass.name} has no primary key to walk the users by"
      end

      # What identifies the run, so a cursor is only ever resumed by the same run.
      def key
        { "user_class" => @klass.name, "scope" => @scope_name, "since" => @since&.utc&.iso8601 }
      end

      # "all Users", "Users in scope active updated since 2026-11-01 00:00:00 UTC"
      def description
        plural = @klass.name.respond_to?(:pluralize) ? @klass.name.pluralize : "#{@klass.name}s"
        text = @scope_name ? "#{plural} in scope #{@scope_name}" : "all #{plural}"
        @since ? "#{text} updated since #{@since.utc.strftime('%Y-%m-%d %H:%M:%S UTC')}" : text
      end

      private

      # Only a name the app defined (a scope, or a class method of the model or of
      # ApplicationRecord) and that takes no argument: never one of ActiveRecord's own methods,
      # so SCOPE=delete_all is refused, not run.
      def named_scope
        name = @scope_name
        unless name.match?(/\A[a-z_][a-zA-Z0-9_]*\??\z/) && app_class_methods.include?(name.to_sym)
          raise UsageError, "SCOPE=#{name} is not a scope or class method of #{@klass.name}#{suggestion(name)}"
        end

        method = @klass.method(name)
        if method.parameters.any? { |kind, _| %i[req keyreq].include?(kind) }
          raise UsageError, "SCOPE=#{name} takes arguments; backfill can only call a scope that takes none"
        end

        relation = method.call
        return relation if relation.is_a?(::ActiveRecord::Relation) && relation.klass <= @klass

        raise UsageError, "SCOPE=#{name} returned #{relation.class}, not a relation of #{@klass.name} " \
                          "(define it with `scope :#{name}, -> { ... }`)"
      end

      # Class methods defined by the app between the model and ActiveRecord::Base: its scopes,
      # its `def self.x`, those of ApplicationRecord and of concerns' class_methods.
      def app_class_methods
        @app_class_methods ||= @klass.singleton_class.ancestors
                                     .take_while { |mod| mod != ::ActiveRecord::Base.singleton_class }
                                     .flat_map { |mod| mod.public_instance_methods(false) }
                                     .reject { |m| m.to_s.end_with?("=", "!") || m.to_s.start_with?("_") }
      end

      def suggestion(name)
        spell = defined?(::DidYouMean::SpellChecker) && ::DidYouMean::SpellChecker.new(dictionary: app_class_methods)
        match = spell&.correct(name.to_sym)&.first
        match ? " (did you mean SCOPE=#{match}?)" : ""
      end

      def parse_since(text)
        zone = ::Time.respond_to?(:zone) && ::Time.zone
        time = zone ? zone.parse(text) : ::Time.parse(text)
        raise ArgumentError if time.nil?

        unless @klass.column_names.include?("updated_at")
          raise UsageError, "SINCE= selects users by updated_at, and #{@klass.name} has no updated_at column"
        end

        time
      rescue ArgumentError
        raise UsageError, "SINCE=#{text} is not a date or time (e.g. SINCE=2026-11-01 or SINCE=\"2026-11-01 09:00\")"
      end
    end
  end
end
