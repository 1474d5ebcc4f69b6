# frozen_string_literal: true

module IntercomSync
  # Intercom's custom attribute definitions, fetched once per process and workspace and shared
  # by every thread, so a steady-state sync needs no data-attribute requests at all. In a cold
  # process one sync reads them while the others wait for it (#fetch_or_wait), rather than every
  # worker reading both lists at once (32 requests for perform_all's 16 workers).
  #
  # Bounded, because the definitions come from the server: at most MAX_DEFINITIONS per model (the
  # core keeps no more from one list either) and MAX_WORKSPACES workspaces (a process talks to
  # few; the one learned longest ago goes first).
  class AttributeCache
    MAX_DEFINITIONS = 2000
    MAX_WORKSPACES = 16

    def initialize
      @lock = Mutex.new
      @learned = ConditionVariable.new
      @by_workspace = {}
      @reading = {} # workspace => the thread whose sync reads the definitions now
      @unneeded = {} # workspaces whose syncs need no definitions: nobody waits for a reader there
    end

    # The definitions, as #fetch; when none are known and another thread's sync is reading them,
    # waits for it (at most wait seconds). nil: this thread's sync reads them, and must call
    # #done_reading afterwards, learned or not.
    def fetch_or_wait(workspace, wait:)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + wait
      @lock.synchronize do
        loop do
          defs = @by_workspace[workspace]
          return copy(defs) if defs
          return nil if @unneeded[workspace]

          reader = @reading[workspace]
          unless reader&.alive? && reader != Thread.current
            @reading[workspace] = Thread.current
            return nil
          end
          left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
          return nil if left <= 0 # read them too, rather than wait on

          @learned.wait(@lock, left)
        end
      end
    end

    # The sync that was to read the definitions ended: the threads waiting look again, and one of
    # them reads them when they are still unknown because that sync failed. A sync that went well
    # and learned none needed none (no custom attribute it did not know): then nobody waits for a
    # reader in that workspace again, or every sync would wait for the one before it.
    def done_reading(workspace, synced:)
      @lock.synchronize do
        @reading.delete(workspace) if @reading[workspace] == Thread.current
        if synced && !@by_workspace.key?(workspace)
          @unneeded[workspace] = true
          @unneeded.shift while @unneeded.size > MAX_WORKSPACES
        end
        @learned.broadcast
      end
    end

    # {"contact" => {name => type}, "company" => {...}} or nil before the first sync.
    def fetch(workspace)
      @lock.synchronize do
        defs = @by_workspace[workspace]
        defs && copy(defs)
      end
    end

    # (A sync that failed before reading the lists reports them empty: that is nothing learned,
    # not a workspace without attributes, whose lists still hold the standard ones.)
    def learn(workspace, definitions)
      return unless definitions && %w[contact company].any? { |m| definitions[m].is_a?(Hash) && !definitions[m].empty? }

      @lock.synchronize do
        defs = @by_workspace.delete(workspace) || { "contact" => {}, "company" => {} }
        %w[contact company].each { |model| defs[model] = bounded(defs[model], definitions[model] || {}) }
        @by_workspace[workspace] = defs # last learned at the end: evicted last
        @by_workspace.shift while @by_workspace.size > MAX_WORKSPACES
      end
    end

    def clear
      @lock.synchronize do
        @by_workspace.clear
        @reading.clear
        @unneeded.clear
        @learned.broadcast
      end
    end

    private

    def copy(defs)
      { "contact" => defs["contact"].dup, "company" => defs["company"].dup }
    end

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
