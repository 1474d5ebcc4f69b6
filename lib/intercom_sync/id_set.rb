# frozen_string_literal: true

require "set"

module IntercomSync
  # A set of user ids that stays small for millions of entries: decimal ids (the usual
  # ActiveRecord primary keys) are bits in a byte string, anything else goes in a Set.
  class IdSet
    # Up to id 2**27 in bits (16 MB at most); larger and non-numeric ids go in the Set.
    MAX_BIT = 2**27

    def initialize
      @bits = String.new(encoding: Encoding::BINARY)
      @others = Set.new
    end

    # Adds the id; true when it was not there yet.
    def add?(id)
      n = small_integer(id)
      return !@others.add?(id.to_s.dup.freeze).nil? unless n

      byte, bit = n.divmod(8)
      @bits << ("\0" * (byte + 1 - @bits.bytesize)) if byte >= @bits.bytesize
      value = @bits.getbyte(byte)
      return false if value.anybits?(1 << bit)

      @bits.setbyte(byte, value | (1 << bit))
      true
    end

    # Empties the set and gives its memory back at once (a bulk run's set of ids, once the run
    # has no more use for it), rather than when the GC gets to it.
    def clear
      @bits.clear
      @others.clear
      self
    end

    def include?(id)
      n = small_integer(id)
      return @others.include?(id.to_s) unless n

      byte, bit = n.divmod(8)
      byte < @bits.bytesize && @bits.getbyte(byte).anybits?(1 << bit)
    end

    private

    def small_integer(id)
      text = id.to_s
      return nil unless text.match?(/\A(?:0|[1-9]\d{0,8})\z/)

      n = text.to_i
      n < MAX_BIT ? n : nil
    end
  end
end
