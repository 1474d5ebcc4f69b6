# frozen_string_literal: true

require "set"

module IntercomSync
  module Tasks
    # The resume point of a backfill: the id up to which every user of the relation has been
    # processed (synced, or failed and reported). Outcomes arrive out of order (workers finish
    # in any order; a bulk run that reads contact pages takes users in the pages' order, not the
    # ids'), so the ids done past the mark are kept until the mark reaches them. The users ahead
    # of the mark are read from the database in id order, a thousand at a time.
    #
    # An id done past the mark that the relation no longer holds (a user that left the scope by
    # being synced, or was deleted) can never be reached: it is dropped when the ids read from
    # the database have passed it.
    class LowWaterMark
      READ_AHEAD = 1000

      # mark: the cursor's mark (nil: nothing done yet); done_above: ids done past it.
      def initialize(relation, primary_key, mark: nil, done_above: [])
        @relation = relation.reorder(primary_key)
        @column = relation.klass.arel_table[primary_key]
        @primary_key = primary_key
        @mark = mark
        @done = Set.new(done_above)
        @upcoming = []
        @read_to = nil
      end

      attr_reader :mark

      # Records that the user with this id is processed; true when the mark moved.
      def done(id)
        before = @mark
        @done << id
        advance
        @mark != before
      end

      # The lowest `limit` ids done past the mark (a resumed run skips them).
      def done_above(limit)
        @done.min(limit)
      end

      def pending_count
        @done.size
      end

      private

      def advance
        loop do
          if @upcoming.empty?
            @done.delete_if { |id| @read_to && id <= @read_to } # passed by the read: gone from the relation
            break if @done.empty? || !read_ahead
          end
          break unless @done.delete?(@upcoming.first)

          @mark = @upcoming.shift
        end
      end

      # The next ids of the relation past what was read; false when there are none, and then
      # every id still kept is one the relation no longer holds.
      def read_ahead
        from = @read_to || @mark
        @upcoming = (from.nil? ? @relation : @relation.where(@column.gt(from))).limit(READ_AHEAD).pluck(@primary_key)
        if @upcoming.empty?
          @done.clear
          return false
        end
        @read_to = @upcoming.last
        true
      end
    end
  end
end
