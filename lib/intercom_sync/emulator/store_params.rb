# frozen_string_literal: true

module IntercomSync
  class Emulator
    # What the Store checks in a request body before it writes anything, as Intercom 2.x does:
    # an object, only the fields the endpoint knows, values of the right type, and custom
    # attributes defined first (one undefined attribute rejects the whole write). The rest of
    # the Store is in store.rb.
    class Store
      private

      def object!(params)
        return params if params.is_a?(Hash)

        raise ApiError.new(400, "parameter_invalid", "request body must be a JSON object")
      end

      def unknown!(params, allowed, code: "parameter_invalid")
        extra = params.keys - allowed
        return if extra.empty?

        raise ApiError.new(400, code, "Unknown parameter#{'s' if extra.size > 1}: #{extra.join(', ')}")
      end

      def invalid!(message)
        raise ApiError.new(400, "parameter_invalid", message)
      end

      def contact_attrs!(params, existing_custom)
        attrs = {}
        %w[email phone name avatar external_id owner_id].each do |k|
          next unless params.key?(k)

          v = params[k]
          invalid!("#{k} must be a string") unless v.nil? || v.is_a?(String) || (k == "owner_id" && v.is_a?(Integer))
          attrs[k] = v
        end
        if attrs["email"] && !attrs["email"].match?(/\A[^@\s]+@[^@\s]+\z/)
          raise ApiError.new(400, "parameter_invalid", "Email is invalid")
        end
        if params.key?("email_verified") && !params.key?("email")
          invalid!("email_verified must be sent together with email")
        end
        attrs["email_domain"] = attrs["email"]&.split("@", 2)&.last if params.key?("email")
        %w[signed_up_at last_seen_at].each do |k|
          next unless params.key?(k)

          v = params[k]
          invalid!("#{k} must be a Unix timestamp") unless v.nil? || v.is_a?(Integer)
          attrs[k] = v
        end
        if params.key?("unsubscribed_from_emails")
          v = params["unsubscribed_from_emails"]
          invalid!("unsubscribed_from_emails must be a boolean") unless [true, false].include?(v)
          attrs["unsubscribed_from_emails"] = v
        end
        if params.key?("custom_attributes")
          attrs["custom_attributes"] = existing_custom.merge(custom_attributes!("contact", params["custom_attributes"]))
        end
        attrs
      end

      def company_attrs!(params, existing_custom)
        attrs = {}
        %w[name plan website industry].each do |k|
          next unless params.key?(k)

          invalid!("#{k} must be a string") unless params[k].nil? || params[k].is_a?(String)
          attrs[k] = params[k]
        end
        attrs["plan"] = attrs["plan"] ? { "type" => "plan", "id" => attrs["plan"], "name" => attrs["plan"] } : {} if params.key?("plan")
        if params.key?("size")
          invalid!("size must be an integer") unless params["size"].is_a?(Integer)
          attrs["size"] = params["size"]
        end
        if params.key?("remote_created_at")
          v = params["remote_created_at"]
          invalid!("remote_created_at must be a Unix timestamp") unless v.nil? || v.is_a?(Integer)
          attrs["remote_created_at"] = v
        end
        if params.key?("monthly_spend")
          v = params["monthly_spend"]
          invalid!("monthly_spend must be a number") unless v.nil? || v.is_a?(Numeric)
          invalid!("monthly_spend must be at most #{MAX_INT32}") if v && v > MAX_INT32
          attrs["monthly_spend"] = v&.to_i # Intercom truncates floats
        end
        if params.key?("custom_attributes")
          attrs["custom_attributes"] = existing_custom.merge(custom_attributes!("company", params["custom_attributes"]))
        end
        attrs
      end

      # Intercom 2.x rejects the whole write when one custom attribute is not defined first.
      def custom_attributes!(model, values)
        invalid!("custom_attributes must be an object") unless values.is_a?(Hash)
        values.each do |name, value|
          type = attribute_type(model, name)
          invalid!("Custom attribute '#{name}' does not exist") unless type
          next if value.nil? || value_matches?(type, value)

          invalid!("Custom attribute '#{name}' must be of type #{type}")
        end
        values
      end

      def value_matches?(type, value)
        case type
        when "string", "options" then value.is_a?(String)
        when "integer", "date", "datetime" then value.is_a?(Integer)
        when "float" then value.is_a?(Numeric)
        when "boolean" then value == true || value == false
        else false
        end
      end
    end
  end
end
