# frozen_string_literal: true

module IntercomSync
  # Intercom's custom attribute definitions, fetched once per process and workspace and shared
  # by every thread, so a steady-state sync needs no data-attribute requests at all.
  #
  # Bounded, because the definitions come from the server: at most MAX_DEFINITIONS per model (the
  # core keeps no more from one list either) and MAX_WORKSPACES workspaces (a process talks to
  # few; the one learned longest ago goes first).
  class AttributeCache
    MAX_DEFINITIONS = 2000
    MAX_WORKSPACES = 16

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
        defs = @by_workspace.delete(workspace) || { "contact" => {}, "company" => {} }
        %w[contact company].each { |model| defs[model] = bounded(defs[model], definitions[model] || {}) }
        @by_workspace[workspace] = defs # last learned at the end: evicted last
        @by_workspace.shift while @by_workspace.size > MAX_WORKSPACES
      end
    end

    def clear
      @lock.synchronize { @by_workspace.clear }
    end

    private

    # The known definitions updated with the new ones; when that is more than the bound, the
    # newest list alone (cut to the bound), so a server that names new attributes on every sync
    # cannot grow the cache.
    def bounded(known, learned)
      merged = known.merge(learned)
      return merged if merged.size <= MAX_DEFINITIONS

      learned.first(MAX_DEFINITIONS).to_h
    end
  end
end
