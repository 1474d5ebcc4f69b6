# frozen_string_literal: true


module IntercomSync
  class Emulator
    # POST /contacts/search: Intercom's filter grammar and body pagination.
    #
    #   {"query": {"field": F, "operator": OP, "value": V}}                  one filter
    #   {"query": {"operator": "AND"|"OR", "value": [filter or group, ...]}}  a group
    #   {"pagination": {"per_page": N, "starting_after": CURSOR}}
    #
    # At most two levels of groups and 15 entries per group, as Intercom enforces.
    class Search
      MAX_DEPTH = 2
      MAX_FILTERS_PER_GROUP = 15
      MAX_PER_PAGE = 150
      DEFAULT_PER_PAGE = 50
      FIELDS = %w[id external_id email email_domain phone role name created_at updated_at
                  signed_up_at last_seen_at].freeze
      LOCATION_FIELDS = %w[location.country location.region location.city].freeze
      OPERATORS = %w[= != IN NIN < > ~ !~ ^ $].freeze

      def initialize(params)
        raise ApiError.new(400, "parameter_invalid", "request body must be a JSON object") unless params.is_a?(Hash)

        @query = params["query"]
        raise ApiError.new(400, "parameter_not_found", "query is required") unless @query.is_a?(Hash)

        validate!(@query, 0)
        pagination = params["pagination"] || {}
        raise ApiError.new(400, "parameter_invalid", "pagination must be an object") unless pagination.is_a?(Hash)

        @per_page = (pagination["per_page"] || DEFAULT_PER_PAGE).to_i
        unless @per_page.between?(1, MAX_PER_PAGE)
          raise ApiError.new(400, "parameter_invalid", "per_page must be between 1 and #{MAX_PER_PAGE}")
        end

        @offset = decode_cursor(pagination["starting_after"])
        sort = params["sort"]
        if sort && !%w[ascending descending].include?(sort["order"])
          raise ApiError.new(400, "invalid_sort_order", "sort order must be ascending or descending")
        end

        @sort = sort
      end

      # Returns the contact_list body for the matching page.
      def run(contacts)
        matches = contacts.select { |c| match?(@query, c) }
        if @sort
          field = @sort["field"]
          matches = matches.sort_by { |c| [value_of(c, field).nil? ? 0 : 1, value_of(c, field).to_s] }
          matches.reverse! if @sort["order"] == "descending"
        end
        page = matches[@offset, @per_page] || []
        total_pages = [(matches.size.to_f / @per_page).ceil, 1].max
        next_offset = @offset + @per_page
        pages = { "type" => "pages", "page" => (@offset / @per_page) + 1, "per_page" => @per_page,
                  "total_pages" => total_pages }
        if next_offset < matches.size
          pages["next"] = { "per_page" => @per_page, "starting_after" => encode_cursor(next_offset) }
        end
        [page, { "type" => "list", "total_count" => matches.size, "pages" => pages }]
      end

      private

      def validate!(node, depth)
        if node.key?("field")
          field = node["field"]
          unless field.is_a?(String) && (FIELDS.include?(field) || LOCATION_FIELDS.include?(field) ||
                                         field.start_with?("custom_attributes."))
            raise ApiError.new(400, "parameter_invalid", "#{field.inspect} is not a searchable field")
          end
          unless OPERATORS.include?(node["operator"])
            raise ApiError.new(400, "parameter_invalid", "operator #{node['operator'].inspect} is not supported")
          end
          if %w[IN NIN].include?(node["operator"]) && !node["value"].is_a?(Array)
            raise ApiError.new(400, "parameter_invalid", "#{node['operator']} needs an array value")
          end
          return
        end

        unless %w[AND OR].include?(node["operator"]) && node["value"].is_a?(Array)
          raise ApiError.new(400, "parameter_invalid", "a group needs operator AND or OR and a value array")
        end
        if depth >= MAX_DEPTH
          raise ApiError.new(400, "parameter_invalid", "queries may nest at most #{MAX_DEPTH} levels")
        end
        if node["value"].size > MAX_FILTERS_PER_GROUP
          raise ApiError.new(400, "parameter_invalid", "a group may hold at most #{MAX_FILTERS_PER_GROUP} filters")
        end

        node["value"].each do |child|
          raise ApiError.new(400, "parameter_invalid", "filters must be objects") unless child.is_a?(Hash)

          validate!(child, depth + 1)
        end
      end

      def match?(node, contact)
        case node["operator"]
        when "AND" then node["value"].all? { |n| match?(n, contact) }
        when "OR" then node["value"].any? { |n| match?(n, contact) }
        else compare(value_of(contact, node["field"]), node["operator"], node["value"])
        end
      end

      def value_of(contact, field)
        case field
        when /\Acustom_attributes\.(.+)\z/ then contact["custom_attributes"][Regexp.last_match(1)]
        when /\Alocation\.(.+)\z/ then contact.dig("location", Regexp.last_match(1))
        else contact[field]
        end
      end

      def compare(actual, operator, expected)
        case operator
        when "=" then equal?(actual, expected)
        when "!=" then !equal?(actual, expected)
        when "IN" then expected.any? { |e| equal?(actual, e) }
        when "NIN" then expected.none? { |e| equal?(actual, e) }
        when "<" then actual.is_a?(Numeric) && expected.is_a?(Numeric) && actual < expected
        when ">" then actual.is_a?(Numeric) && expected.is_a?(Numeric) && actual > expected
        when "~" then actual.is_a?(String) && actual.downcase.include?(expected.to_s.downcase)
        when "!~" then !(actual.is_a?(String) && actual.downcase.include?(expected.to_s.downcase))
        when "^" then actual.is_a?(String) && actual.downcase.start_with?(expected.to_s.downcase)
        when "$" then actual.is_a?(String) && actual.downcase.end_with?(expected.to_s.downcase)
        end
      end

      # Intercom compares text case-insensitively; nil matches only nil.
      def equal?(actual, expected)
        return actual.casecmp?(expected) if actual.is_a?(String) && expected.is_a?(String)

        actual == expected
      end

      # URL-safe base64 without padding, like Intercom's (pack, not the base64 gem: a bundled
      # gem from Ruby 3.4 that Bundler would not load undeclared)
      def encode_cursor(offset)
        ["offset:#{offset}"].pack("m0").tr("+/", "-_").delete("=")
      end

      def decode_cursor(cursor)
        return 0 if cursor.nil?

        text = cursor.to_s.tr("-_", "+/")
        decoded = (text + ("=" * (-text.length % 4))).unpack1("m0") # strict: ArgumentError if invalid
        raise ArgumentError unless decoded.match?(/\Aoffset:\d+\z/)

        decoded.split(":").last.to_i
      rescue ArgumentError
        raise ApiError.new(400, "parameter_invalid", "starting_after is not a valid cursor")
      end
    end
  end
end
