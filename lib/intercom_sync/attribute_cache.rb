# frozen_string_literal: true

module IntercomSync
  # Intercom's custom attribute definitions, fetched once per process and workspace and shared
  # by every thread, so a steady-state sync needs no data-attribute requests at all.
  class AttributeCache
    def initialize
      @lock = Mutex.new
      @by_workspace = {}
    end

    # {"contact" => {name => type}, "company" => {...}} or nil before the first sync.
    def fetch(workspace)
      @lock.synchronize do
        defs = @by_workspace[workspace]
        defs && { "contact" => defs["contact"].dup, "company" => defs["company"].dup }
      end
    end

    def learn(workspace, definitions)
      return unless definitions

      @lock.synchronize do
        defs = (@by_workspace[workspace] ||= { "contact" => {}, "company" => {} })
        %w[contact company].each { |model| defs[model].merge!(definitions[model] || {}) }
      end
    end

    def clear
      @lock.synchronize { @by_workspace.clear }
    end
  end
end
