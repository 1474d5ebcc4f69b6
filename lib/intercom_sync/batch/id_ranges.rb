# frozen_string_literal: true

module IntercomSync
  module Batch
    # Splits the users of a relation into primary-key ranges of `size` users each (the last may
    # hold fewer), in id order, as [first_id, last_id] pairs (both included). Gaps in the ids
    # (deleted users, a jump in the sequence, UUIDs) cost nothing: a range ends at the id of its
    # size-th user, whatever the ids between.
    #
    # Never loads every id: one query for the first id, then one per range that skips `size - 1`
    # users from the range's first and reads two ids, the range's last and the next range's
    # first (ORDER BY id LIMIT 2 OFFSET size - 1, on the primary key's index); the last range,
    # which holds fewer, ends at a MAX(id).
    class IdRanges
      include Enumerable

      def initialize(relation, size:)
        raise ArgumentError, "size must be a whole number of 1 or more, not #{size.inspect}" unless size.is_a?(Integer) && size >= 1

        @pk = relation.klass.primary_key
        raise ArgumentError, "#{relation.klass.name} has no single-column primary key to split its users by" unless @pk.is_a?(String)

        # (an order of the app's scope would change which users a range's OFFSET skips)
        @relation = relation.unscope(:order, :limit, :offset)
        @size = size
      end

      def each
        return enum_for(:each) unless block_given?

        first = @relation.order(@pk).limit(1).pluck(@pk).first
        until first.nil?
          last, following = @relation.where(column.gteq(first)).order(@pk).offset(@size - 1).limit(2).pluck(@pk)
          # fewer than `size` users are left: the range ends at the last of them
          last ||= @relation.where(column.gteq(first)).maximum(@pk)
          yield [first, last]
          first = following
        end
      end

      private

      def column
        @relation.klass.arel_table[@pk]
      end
    end
  end
end
