# frozen_string_literal: true

module IntercomSync
  # The metadata attribute where the sync keeps Intercom's ids (intercom_user_id on the user;
  # intercom_company_id and intercom_company_digest on teams), merged with the app's own keys.
  #
  # - a column that holds a Hash (json, jsonb, hstore, or `serialize`/`store`) gets a Hash;
  # - a plain string or text column gets JSON text, and is read back as JSON (Ruby's inspect
  #   text of a Hash, which versions before this one wrote there, is read too);
  # - a column of any other type is a ContractError, before any request.
  # For an ActiveRecord model the column's type decides; for other objects, the value's class
  # (a Hash or nil: a Hash; a String: JSON text).
  module MetadataColumn
    HASH_TYPES = %i[json jsonb hstore].freeze
    TEXT_TYPES = %i[string text].freeze
    STRING = /"(?:[^"\\]|\\.)*"/
    INSPECT_PAIR = /(#{STRING})\s*=>\s*(#{STRING}|nil)/
    INSPECT_HASH = /\A\{\s*(?:#{INSPECT_PAIR}\s*(?:,\s*(?=")|(?=\})))*\}\z/

    module_function

    # :hash or :text; ContractError when the attribute cannot keep a Hash.
    def format(record, attribute)
      klass = record.class
      if klass.respond_to?(:attribute_types) && klass.respond_to?(:type_for_attribute) &&
         klass.attribute_types.key?(attribute.to_s)
        type = klass.type_for_attribute(attribute.to_s)
        return :hash if serialized?(type) || HASH_TYPES.include?(type.type)
        return :text if TEXT_TYPES.include?(type.type)

        raise ContractError, "#{klass}##{attribute} is a #{type.type} column: the sync keeps a JSON object of " \
                             "Intercom's ids there; use a json, jsonb, string or text column, or serialize it " \
                             "(#{ModelContract::SECTION})"
      end
      format_of_value(record, attribute, record.public_send(attribute))
    end

    # The metadata as a Hash with String keys.
    def read(record, attribute)
      value = record.public_send(attribute)
      case value
      when nil then {}
      when String then parse(value, record, attribute)
      else
        format_of_value(record, attribute, value)
        value.to_hash.transform_keys(&:to_s)
      end
    end

    # What to save in the attribute for the Hash `metadata`.
    def dump(record, attribute, metadata)
      format(record, attribute) == :text ? Native.generate_json(metadata) : metadata
    end

    def format_of_value(record, attribute, value)
      return :hash if value.nil? || value.respond_to?(:to_hash)
      return :text if value.is_a?(String)

      raise ContractError, "#{record.class}##{attribute} holds a #{value.class}: the sync keeps a Hash of " \
                           "Intercom's ids there, or its JSON text in a String (#{ModelContract::SECTION})"
    end

    def serialized?(type)
      defined?(::ActiveRecord::Type::Serialized) && type.is_a?(::ActiveRecord::Type::Serialized)
    end

    # Text that is not a JSON object is refused (it is not ours to overwrite); its content is
    # not quoted, as the app may keep anything there.
    def parse(text, record, attribute)
      return {} if text.strip.empty?

      parsed = begin
        Native.parse_json(text)
      rescue ParseError
        parse_inspect(text)
      end
      return parsed if parsed.is_a?(Hash)

      id = record.respond_to?(:id) ? " #{record.id}" : ""
      raise InvalidInputError, "#{record.class}#{id}: #{attribute} is not a JSON object; the sync keeps " \
                               "Intercom's ids there (#{ModelContract::SECTION})"
    end

    # {"intercom_user_id"=>"abc"} (Ruby < 3.4) or {"intercom_user_id" => "abc"}: a Hash of
    # strings as Ruby inspects it, whose strings JSON reads the same for the ids we keep.
    def parse_inspect(text)
      return nil unless text.match?(INSPECT_HASH)

      pairs = text.scan(INSPECT_PAIR).map { |key, value| "#{key}:#{value == 'nil' ? 'null' : value}" }
      Native.parse_json("{#{pairs.join(',')}}")
    rescue ParseError
      nil
    end
  end
end
