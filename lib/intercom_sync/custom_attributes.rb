# frozen_string_literal: true

require "bigdecimal"
require "date"

module IntercomSync
  # Turns the values of `as_json` into what an Intercom custom attribute can hold.
  #
  # The rules (Intercom stores strings, integers, floats, booleans and dates as Unix seconds):
  # - nil, true, false, Integer and String are sent as they are;
  # - Symbol becomes its name;
  # - Float stays a Float; NaN and Infinity become nil (JSON has no such numbers);
  # - BigDecimal and Rational become Float;
  # - Time, DateTime, ActiveSupport::TimeWithZone and Date become Unix seconds (Date at 00:00 UTC);
  # - Hash and Array become their JSON text, since Intercom has no nested attributes;
  # - anything else becomes its to_s.
  # The C core then fits each value to the type Intercom defines for the attribute.
  module CustomAttributes
    module_function

    def normalize(hash, except: [])
      excluded = except.map(&:to_s)
      (hash || {}).each_with_object({}) do |(key, value), out|
        name = key.to_s
        next if excluded.include?(name)

        out[name] = scalar(value)
      end
    end

    def scalar(value)
      case value
      when nil, true, false, Integer, String then value
      when Symbol then value.to_s
      when Float then value.finite? ? value : nil
      when BigDecimal, Rational then scalar(value.to_f)
      when Date then date_seconds(value)
      when Hash, Array then Native.generate_json(nested(value))
      else
        time_like?(value) ? value.to_i : value.to_s
      end
    end

    def epoch(value)
      return nil if value.nil?
      return value if value.is_a?(Integer)
      return date_seconds(value) if value.is_a?(Date)

      value.to_i if time_like?(value)
    end

    def nested(value)
      case value
      when Hash then value.to_h { |k, v| [k.to_s, nested(v)] }
      when Array then value.map { |v| nested(v) }
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
