# frozen_string_literal: true

require "date"

module IntercomSync
  # Turns the values of `as_json` into what an Intercom custom attribute can hold.
  #
  # Values (Intercom stores strings, integers, floats, booleans and dates as Unix seconds):
  # - nil, true, false are sent as they are; Symbol becomes its name;
  # - Integer is sent as is within 64 bits, else as its decimal text;
  # - Float stays a Float; NaN and Infinity become nil (JSON has no such numbers);
  # - BigDecimal and Rational become Float;
  # - Time, DateTime, ActiveSupport::TimeWithZone and Date become Unix seconds (Date at 00:00 UTC);
  # - Hash and Array become their JSON text, since Intercom has no nested attributes;
  # - String becomes UTF-8 (bytes invalid in their encoding become U+FFFD), loses NUL bytes,
  #   and is cut to 255 characters;
  # - anything else becomes its to_s, under the String rule.
  # Names keep letters, digits, spaces, "_" and "-" (others become "_"), at most 190 characters;
  # a name that collides with another after that is left out with a warning.
  # The C core then fits each value to the type Intercom defines for the attribute.
  module CustomAttributes
    MAX_STRING = 255
    MAX_NAME = 190
    INT64 = (-(2**63)..(2**63) - 1).freeze

    module_function

    def normalize(hash, except: [], warnings: [])
      excluded = except.map(&:to_s)
      (hash || {}).each_with_object({}) do |(key, value), out|
        next if excluded.include?(key.to_s)

        name = attribute_name(key)
        if name.empty? || out.key?(name)
          warnings << "custom attribute #{key.to_s.inspect} #{name.empty? ? 'has no usable name' : "collides with #{name.inspect}"}; not sent"
          next
        end
        out[name] = scalar(value, warnings: warnings, name: name)
      end
    end

    def attribute_name(key)
      text(key.to_s).gsub(/[^A-Za-z0-9_\- ]/, "_")[0, MAX_NAME].strip
    end

    def scalar(value, warnings: [], name: nil)
      case value
      when nil, true, false then value
      when Integer then INT64.cover?(value) ? value : value.to_s
      when Symbol then scalar(value.to_s, warnings: warnings, name: name)
      when Float then value.finite? ? value : nil
      # BigDecimal and Rational (named by Numeric: bigdecimal is a bundled gem from Ruby 3.4)
      when Numeric then value.real? ? scalar(value.to_f) : bounded_text(value.to_s, warnings, name)
      when Date then date_seconds(value)
      when Hash, Array then Native.generate_json(nested(value))
      when String then bounded_text(value, warnings, name)
      else
        time_like?(value) ? value.to_i : bounded_text(value.to_s, warnings, name)
      end
    end

    def bounded_text(value, warnings, name)
      string = text(value)
      return string if string.length <= MAX_STRING

      warnings << "custom attribute #{name.inspect} was cut to #{MAX_STRING} characters"
      string[0, MAX_STRING]
    end

    # UTF-8 without NUL bytes; bytes that are invalid in the string's encoding become U+FFFD.
    def text(value)
      string = value.encoding == Encoding::UTF_8 ? value : value.encode(Encoding::UTF_8, invalid: :replace, undef: :replace)
      string = string.scrub("\uFFFD") unless string.valid_encoding?
      string.delete("\0")
    rescue EncodingError
      value.dup.force_encoding(Encoding::UTF_8).scrub("\uFFFD").delete("\0")
    end

    def epoch(value)
      return nil if value.nil?
      return value if value.is_a?(Integer)
      return date_seconds(value) if value.is_a?(Date)

      value.to_i if time_like?(value)
    end

    def nested(value)
      case value
      when Hash then value.to_h { |k, v| [text(k.to_s), nested(v)] }
      when Array then value.map { |v| nested(v) }
      when String then text(value)
      else scalar(value)
      end
    end

    def time_like?(value)
      value.is_a?(Time) || value.is_a?(DateTime) || (value.respond_to?(:to_time) && value.respond_to?(:utc_offset))
    end

    def date_seconds(value)
      return value.to_time.to_i if value.is_a?(DateTime)

      Time.utc(value.year, value.month, value.day).to_i
    end
  end
end
