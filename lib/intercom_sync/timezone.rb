# frozen_string_literal: true

module IntercomSync
  # Decides whether a time zone name from Intercom may be saved on the user. Only IANA names
  # are accepted, checked against ActiveSupport's or TZInfo's database when the app has one,
  # else against the system's zoneinfo files. Nothing here ever sets Time.zone.
  module Timezone
    NAME = %r{\A[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}\z}
    ZONEINFO = ["/usr/share/zoneinfo"].freeze

    module_function

    def valid?(name)
      return false unless name.is_a?(String) && name.bytesize <= 64 && name.match?(NAME)

      if defined?(::ActiveSupport::TimeZone)
        !::ActiveSupport::TimeZone[name].nil?
      elsif defined?(::TZInfo::Timezone)
        begin
          ::TZInfo::Timezone.get(name)
          true
        rescue ::TZInfo::InvalidTimezoneIdentifier
          false
        end
      else
        ZONEINFO.any? { |dir| File.file?(File.join(dir, name)) }
      end
    end
  end
end
