# frozen_string_literal: true

module IntercomSync
  # Keeps secrets in the app: drops every custom attribute whose name DEFAULT_FILTERS or the
  # app's Rails filter_parameters would filter from its logs, at any depth of a Hash value,
  # before anything is sent or any attribute is created in Intercom. Both lists, because an app
  # generated before Rails 7 often filters only :password, and would then send api_token.
  # Matching is Rails': a String or Symbol matches any name containing it, in any case; a
  # Regexp as it is. Only names are ever reported, never values.
  class SecretFilter
    # Rails' generated filter_parameters, plus digest (password_digest, api_key_digest).
    DEFAULT_FILTERS = %i[passw secret token _key crypt salt certificate otp ssn digest].freeze
    # What ActiveSupport::ParameterFilter puts in place of a filtered value: then dropped.
    MASK = Object.new.freeze

    attr_reader :filters

    # The filters in force for a configured list (nil: the defaults and the Rails app's).
    def self.filters_for(configured)
      return configured if configured
      return DEFAULT_FILTERS unless defined?(::Rails) && ::Rails.respond_to?(:application) && ::Rails.application

      (DEFAULT_FILTERS + Array(::Rails.application.config.filter_parameters)).uniq
    end

    def initialize(filters)
      @filters = filters.dup.freeze
      if defined?(::ActiveSupport::ParameterFilter)
        @parameter_filter = ::ActiveSupport::ParameterFilter.new(@filters, mask: MASK)
      else
        # (Rails' Procs only rewrite values; without ActiveSupport there is no Rails to have them)
        @pattern = Regexp.union(@filters.filter_map do |filter|
          case filter
          when Regexp then filter
          when String, Symbol then Regexp.new(Regexp.escape(filter.to_s), Regexp::IGNORECASE)
          end
        end)
      end
    end

    # [hash without the filtered keys, their names ("settings.api_key" for nested ones)]
    def apply(hash)
      masked = @parameter_filter ? @parameter_filter.filter(hash) : mask(hash)
      dropped = []
      [strip(masked, nil, dropped), dropped]
    end

    private

    def mask(value)
      case value
      when Hash then value.to_h { |k, v| [k, @pattern.match?(k.to_s) ? MASK : mask(v)] }
      when Array then value.map { |v| mask(v) }
      else value
      end
    end

    def strip(value, path, dropped)
      case value
      when Hash
        value.each_with_object({}) do |(key, v), out|
          name = path ? "#{path}.#{key}" : key.to_s
          v.equal?(MASK) ? dropped << name : out[key] = strip(v, name, dropped)
        end
      when Array then value.map { |v| strip(v, path, dropped) }
      else value
      end
    end
  end
end
