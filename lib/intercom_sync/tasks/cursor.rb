# frozen_string_literal: true

require "fileutils"
require "json"

module IntercomSync
  module Tasks
    # Where an interrupted backfill resumes: a small JSON file holding the run's key (user class,
    # SCOPE, SINCE, mode), the low-water mark, the ids done past it (at most MAX_DONE_ABOVE) and
    # the counts so far, so the summary of a resumed run covers the whole backfill.
    #
    # Written atomically (a temporary file renamed over it), so a process killed mid-write leaves
    # the previous cursor. Removed when a run completes.
    class Cursor
      VERSION = 1
      MAX_DONE_ABOVE = 1000

      # tmp/intercom_sync/backfill.cursor under the app's root, one file per kind of run:
      # backfill-active.cursor for SCOPE=active, backfill-since-20261101T000000Z.cursor, and
      # -enqueue for ENQUEUE=1.
      def self.default_path(key, root: app_root)
        parts = ["backfill", key["scope"], key["since"] && "since-#{key['since'].delete(':-')}",
                 key["mode"] == "enqueue" ? "enqueue" : nil].compact
        File.join(root.to_s, "tmp", "intercom_sync", "#{parts.join('-')}.cursor")
      end

      def self.app_root
        rails = defined?(::Rails) && ::Rails.respond_to?(:root) && ::Rails.root
        rails || Dir.pwd
      end

      attr_reader :path

      def initialize(path, key)
        @path = path.to_s
        @key = key
      end

      def exist?
        File.exist?(@path)
      end

      # The saved state, or nil when there is none. A cursor another run wrote (other SCOPE,
      # SINCE or mode) is refused rather than resumed or overwritten.
      def load
        return nil unless exist?

        data = JSON.parse(File.read(@path))
        raise UsageError, unreadable("it is not a backfill cursor") unless data.is_a?(Hash) && data["version"] == VERSION
        return data["state"] if data["key"] == @key

        raise UsageError, "#{@path} holds the cursor of another backfill (#{describe(data['key'])}), not of this one " \
                          "(#{describe(@key)}); remove it, run with FRESH=1 to start over, or give another CURSOR=path"
      rescue JSON::ParserError
        raise UsageError, unreadable("it is not JSON")
      end

      def save(state)
        FileUtils.mkdir_p(File.dirname(@path))
        temporary = "#{@path}.#{Process.pid}.tmp"
        File.write(temporary, JSON.generate({ "version" => VERSION, "key" => @key, "state" => state }))
        File.rename(temporary, @path)
      end

      def delete
        FileUtils.rm_f(@path)
      end

      private

      def unreadable(why)
        "#{@path} cannot be resumed: #{why}; remove it, or run with FRESH=1 to start over"
      end

      def describe(key)
        return "unknown" unless key.is_a?(Hash)

        key.filter_map { |name, value| "#{name} #{value}" unless value.nil? }.join(", ")
      end
    end
  end
end
