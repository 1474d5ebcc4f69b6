# frozen_string_literal: true

require "ipaddr"
require "json"
require "securerandom"

module IntercomSync
  class Emulator
    # The HTTP face of the emulated workspace: authentication, content negotiation, rate
    # limits, routing to the Store, Intercom's response shapes, and injected faults.
    class API
      Reply = HTTPServer::Reply
      JSON_TYPE = "application/json; charset=utf-8"
      ACCEPTABLE = %r{application/([\w.\-]+\+)?json|\*/\*}
      HEX_ID = "[^/]+"
      STATS_PATH = "/__emulator/stats"

      def initialize(emulator)
        @emulator = emulator
        @store = emulator.store
      end

      def call(request)
        return stats(request) if request.method == "GET" && request.path == STATS_PATH

        request_id = SecureRandom.uuid
        faults = @emulator.faults.take(request)
        status, body, headers = handle(request, request_id, faults)
        reply = build_reply(status, body, headers, request_id, faults)
        @emulator.log_request(request, reply.mode == :normal ? reply.status : reply.mode)
        reply
      end

      private

      # Returns [status, body, headers]; body nil means a fault already decided the answer.
      def handle(request, request_id, faults)
        unless authorized?(request)
          return error(401, "unauthorized", "Access Token Invalid", request_id)
        end

        allowed, limit, remaining, reset = @emulator.rate_limiter.check(request.headers["authorization"])
        rate_headers = { "X-RateLimit-Limit" => limit.to_s, "X-RateLimit-Remaining" => remaining.to_s,
                         "X-RateLimit-Reset" => reset.to_s }
        unless allowed
          window = @emulator.rate_limiter.window
          status, body, = error(429, "rate_limit_exceeded", "Exceeded rate limit of #{limit} in #{window}_seconds", request_id)
          return [status, body, rate_headers]
        end
        unless request.headers["accept"].to_s.match?(ACCEPTABLE)
          status, body, = error(406, "media_type_not_acceptable", "The Accept header should send application/json", request_id)
          return [status, body, rate_headers]
        end

        # A fault that fires before processing leaves the workspace untouched.
        return [nil, nil, rate_headers] if faults.any? { |f| f.kind != :latency && !f.after }

        status, body, headers = @emulator.synchronize { dispatch(request) }
        [status, body, rate_headers.merge(headers || {})]
      rescue ApiError => e
        status, body, = error(e.status, e.code, e.message, request_id)
        [status, body, (rate_headers || {}).merge(e.headers)]
      end

      def authorized?(request)
        auth = request.headers["authorization"].to_s
        auth.start_with?("Bearer ") && @emulator.token?(auth.delete_prefix("Bearer "))
      end

      def dispatch(request)
        version = request.headers["intercom-version"] || @emulator.default_api_version
        unless version.match?(/\A(\d+\.\d+|Preview|Unstable)\z/)
          raise ApiError.new(400, "intercom_version_invalid", "Intercom-Version #{version} is not a valid version")
        end

        route(request.method, request.path, request, version)
      end

      def route(method, path, request, version)
        params = -> { parse_body(request) }
        query = -> { URI.decode_www_form(request.query).to_h }
        case [method, path]
        in ["GET", "/contacts"] then ok(list_contacts(query.call))
        in ["POST", "/contacts"] then ok(render_contact(@store.create_contact(params.call)))
        in ["POST", "/contacts/search"] then ok(search(params.call))
        in ["POST", "/contacts/merge"] then ok(render_contact(@store.merge(params.call, api_version: version)))
        in ["GET", %r{\A/contacts/find_by_external_id/(#{HEX_ID})\z}]
          ok(render_contact(@store.find_by_external_id(unescape(Regexp.last_match(1)))))
        in ["GET", %r{\A/contacts/(#{HEX_ID})\z}]
          ok(render_contact(@store.contact!(unescape(Regexp.last_match(1)), api_version: version)))
        in ["PUT", %r{\A/contacts/(#{HEX_ID})\z}]
          ok(render_contact(@store.update_contact(unescape(Regexp.last_match(1)), params.call, api_version: version)))
        in ["POST", %r{\A/contacts/(#{HEX_ID})/archive\z}] then ok(@store.archive(unescape(Regexp.last_match(1))))
        in ["POST", %r{\A/contacts/(#{HEX_ID})/unarchive\z}] then ok(@store.unarchive(unescape(Regexp.last_match(1))))
        in ["GET", %r{\A/contacts/(#{HEX_ID})/companies\z}]
          ok(contact_companies(unescape(Regexp.last_match(1)), query.call, version))
        in ["POST", %r{\A/contacts/(#{HEX_ID})/companies\z}]
          ok(render_company(@store.attach(unescape(Regexp.last_match(1)), params.call, api_version: version)))
        in ["DELETE", %r{\A/contacts/(#{HEX_ID})/companies/(#{HEX_ID})\z}]
          contact_id = unescape(Regexp.last_match(1))
          company_id = unescape(Regexp.last_match(2))
          ok(render_company(@store.detach(contact_id, company_id, api_version: version)))
        in ["POST", "/companies"] then ok(render_company(@store.upsert_company(params.call)))
        in ["GET", "/companies"] then ok(find_companies(query.call))
        in ["GET", %r{\A/companies/(#{HEX_ID})\z}] then ok(render_company(@store.company!(unescape(Regexp.last_match(1)))))
        in ["GET", "/data_attributes"]
          ok({ "type" => "list", "data" => @store.data_attributes(query.call["model"]) })
        in ["POST", "/data_attributes"] then ok(@store.create_data_attribute(params.call))
        else
          raise ApiError.new(404, "not_found", "Resource Not Found")
        end
      end

      # The emulator's own counts (not Intercom's API), for monitors and benchmarks in another
      # process. Kept apart from the API: no rate limit (a monitor polling it must not get 429s
      # nor spend the app's budget), no Accept rule, not in the request log (it would count
      # itself), and no token from loopback, the only address the server listens on.
      def stats(request)
        unless loopback?(request.remote_address) || authorized?(request)
          status, body, = error(401, "unauthorized", "Access Token Invalid", SecureRandom.uuid)
          return Reply.json(status, JSON.generate(body), "Content-Type" => JSON_TYPE)
        end

        routes = URI.decode_www_form(request.query).to_h["routes"] == "1"
        Reply.json(200, JSON.generate(@emulator.stats(routes: routes)), "Content-Type" => JSON_TYPE)
      end

      def loopback?(address)
        !address.nil? && IPAddr.new(address).loopback?
      rescue IPAddr::Error
        false
      end

      def ok(body)
        [200, body, {}]
      end

      def parse_body(request)
        return {} if request.body.empty?

        unless request.headers["content-type"].to_s.include?("json")
          raise ApiError.new(400, "parameter_invalid", "Content-Type must be application/json")
        end

        JSON.parse(request.body)
      rescue JSON::ParserError, EncodingError
        raise ApiError.new(400, "parameter_invalid", "The request body is not valid JSON")
      end

      def unescape(segment)
        segment.gsub(/%([0-9A-Fa-f]{2})/) { Regexp.last_match(1).hex.chr }.force_encoding(Encoding::UTF_8)
      end

      # ---------------------------------------------------------------- presenters

      def render_contact(contact)
        id = contact["id"]
        out = contact.reject { |k, _| Store::INTERNAL_KEYS.include?(k) }
        out["location"] = contact["location"].dup
        ids = @store.company_ids_of(id)
        out["companies"] = {
          "type" => "list",
          "data" => ids.first(Store::EMBEDDED_COMPANIES).map { |cid| { "id" => cid, "type" => "company", "url" => "/companies/#{cid}" } },
          "url" => "/contacts/#{id}/companies", "total_count" => ids.size,
          "has_more" => ids.size > Store::EMBEDDED_COMPANIES
        }
        out["tags"] = { "type" => "list", "data" => [], "url" => "/contacts/#{id}/tags", "total_count" => 0, "has_more" => false }
        out["notes"] = { "type" => "list", "data" => [], "url" => "/contacts/#{id}/notes", "total_count" => 0, "has_more" => false }
        out["social_profiles"] = { "type" => "list", "data" => [] }
        out
      end

      def render_company(company)
        company.merge("user_count" => @store.user_count(company["id"]),
                      "tags" => { "type" => "tag.list", "tags" => [] },
                      "segments" => { "type" => "segment.list", "segments" => [] })
      end

      # Cursor pagination over the creation order (Store#list_page): each page costs its own
      # contacts, not a pass over the workspace.
      def list_contacts(query)
        per_page = (query["per_page"] || 50).to_i.clamp(1, Search::MAX_PER_PAGE)
        position, page_number = decode_list_cursor(query["starting_after"])
        page, following = @store.list_page(position, per_page)
        total = @store.listed_count
        pages = { "type" => "pages", "page" => page_number, "per_page" => per_page,
                  "total_pages" => [(total.to_f / per_page).ceil, 1].max }
        if following
          pages["next"] = { "per_page" => per_page, "starting_after" => encode_list_cursor(following, page_number + 1) }
        end
        { "type" => "list", "total_count" => total, "pages" => pages, "data" => page.map { |c| render_contact(c) } }
      end

      # URL-safe base64 without padding, opaque like Intercom's: "list:POSITION:PAGE".
      def encode_list_cursor(position, page_number)
        ["list:#{position}:#{page_number}"].pack("m0").tr("+/", "-_").delete("=")
      end

      def decode_list_cursor(cursor)
        return [0, 1] if cursor.nil?

        text = cursor.to_s.tr("-_", "+/")
        decoded = (text + ("=" * (-text.length % 4))).unpack1("m0") # strict: ArgumentError if invalid
        raise ArgumentError unless decoded.match?(/\Alist:\d+:\d+\z/)

        decoded.split(":").drop(1).map(&:to_i)
      rescue ArgumentError
        raise ApiError.new(400, "parameter_invalid", "starting_after is not a valid cursor")
      end

      def search(params)
        page, list = Search.new(params).run(@store.listable_contacts(search_lag: @emulator.search_lag))
        list.merge("data" => page.map { |c| render_contact(c) })
      end

      # Page-based, as GET /contacts/{id}/companies is in Intercom.
      def contact_companies(contact_id, query, version)
        @store.contact!(contact_id, api_version: version)
        ids = @store.company_ids_of(contact_id)
        per_page = (query["per_page"] || 15).to_i.clamp(1, 150)
        page = [(query["page"] || 1).to_i, 1].max
        total_pages = [(ids.size.to_f / per_page).ceil, 1].max
        data = (ids[(page - 1) * per_page, per_page] || []).map { |cid| render_company(@store.company!(cid)) }
        next_url = page < total_pages ? "/contacts/#{contact_id}/companies?page=#{page + 1}&per_page=#{per_page}" : nil
        { "type" => "list", "data" => data, "total_count" => ids.size,
          "pages" => { "type" => "pages", "next" => next_url, "page" => page, "per_page" => per_page,
                       "total_pages" => total_pages } }
      end

      # GET /companies?company_id= answers one company object (as live Intercom does); without
      # a filter it lists.
      def find_companies(query)
        return render_company(@store.company_by("company_id", query["company_id"])) if query["company_id"]
        return render_company(@store.company_by("name", query["name"])) if query["name"]

        companies = @store.all_companies
        { "type" => "list", "data" => companies.map { |c| render_company(c) }, "total_count" => companies.size,
          "pages" => { "type" => "pages", "page" => 1, "per_page" => companies.size, "total_pages" => 1 } }
      end

      # ---------------------------------------------------------------- replies

      def error(status, code, message, request_id)
        [status, { "type" => "error.list", "request_id" => request_id,
                   "errors" => [{ "code" => code, "message" => message }] }, {}]
      end

      def build_reply(status, body, headers, request_id, faults)
        headers = { "Content-Type" => JSON_TYPE, "X-Request-Id" => request_id }.merge(headers || {})
        delay = faults.select { |f| f.kind == :latency }.sum { |f| f.options.fetch(:seconds, 0.1) }
        fault = faults.find { |f| f.kind != :latency }
        reply = if fault
                  fault_reply(fault, status, body, headers, request_id)
                else
                  Reply.new(status: status, headers: headers, body: JSON.generate(body), mode: :normal)
                end
        reply.delay = delay
        reply
      end

      def fault_reply(fault, status, body, headers, request_id)
        o = fault.options
        case fault.kind
        when :stall then Reply.new(mode: :stall, stall_seconds: o.fetch(:seconds, 30))
        when :reset then Reply.new(mode: :reset)
        when :close then Reply.new(mode: :close)
        when :truncate
          Reply.new(status: status || 200, headers: headers, mode: :truncate,
                    body: JSON.generate(body || { "type" => "contact", "id" => "0" * 24, "padding" => "x" * 64 }))
        when :status
          code = o.fetch(:status, 503)
          _, err, = error(code, o.fetch(:code, code >= 500 ? "service_unavailable" : "client_error"),
                          o.fetch(:message, "Injected failure"), request_id)
          Reply.new(status: code, headers: headers.merge(o.fetch(:headers, {})), body: JSON.generate(err), mode: :normal)
        when :malformed_json
          Reply.new(status: 200, headers: headers, body: '{"type":"contact","id":"5f0c', mode: :normal)
        when :html
          Reply.new(status: o.fetch(:status, 502), headers: headers.merge("Content-Type" => "text/html"),
                    body: "<html><body><h1>502 Bad Gateway</h1></body></html>", mode: :normal)
        when :empty_body
          Reply.new(status: o.fetch(:status, 200), headers: headers, body: "", mode: :normal)
        when :body
          text = o[:body].is_a?(String) ? o[:body] : JSON.generate(o[:body])
          Reply.new(status: o.fetch(:status, 200), headers: headers, body: text, mode: :normal)
        when :oversize
          size = o.fetch(:bytes, 1024 * 1024)
          Reply.new(status: 200, headers: headers, body: JSON.generate("type" => "blob", "data" => "x" * size),
                    mode: o[:stream] ? :stream : :normal)
        end
      end
    end
  end
end
