# frozen_string_literal: true

require "securerandom"
require "set"

module IntercomSync
  class Emulator
    # An answer Intercom gives as an error.list body.
    class ApiError < StandardError
      attr_reader :status, :code, :headers

      def initialize(status, code, message, headers = {})
        super(message)
        @status = status
        @code = code
        @headers = headers
      end
    end

    # The emulated workspace: contacts, companies, memberships and data attributes, with
    # Intercom 2.x's rules (strict create with 409, custom attributes defined first, merges,
    # archives). Records are plain Hashes with string keys, as they appear on the wire.
    #
    # Not thread-safe by itself: the Emulator serialises every call under one lock.
    class Store
      CONTACT_FIELDS = %w[role external_id email phone name avatar signed_up_at last_seen_at owner_id
                          unsubscribed_from_emails custom_attributes email_verified].freeze
      COMPANY_FIELDS = %w[company_id name plan size website industry custom_attributes
                          remote_created_at monthly_spend update_last_request_at].freeze
      DATA_TYPES = %w[string integer float boolean date datetime options].freeze
      MAX_COMPANIES_PER_CONTACT = 1000
      EMBEDDED_COMPANIES = 10
      MAX_INT32 = 2**31 - 1
      INTERNAL_KEYS = %w[visible_at archived].freeze
      STANDARD_ATTRIBUTES = {
        "contact" => { "name" => "string", "email" => "string", "phone" => "string",
                       "external_id" => "string", "role" => "string", "signed_up_at" => "date",
                       "last_seen_at" => "date", "owner_id" => "integer",
                       "unsubscribed_from_emails" => "boolean" },
        "company" => { "name" => "string", "company_id" => "string", "monthly_spend" => "float",
                       "remote_created_at" => "date", "plan" => "string", "size" => "integer",
                       "website" => "string", "industry" => "string" }
      }.freeze

      attr_accessor :clock

      def initialize(clock: -> { Time.now.to_i })
        @clock = clock
        reset!
      end

      def reset!
        @contacts = {}          # id => contact
        @companies = {}         # id => company
        @memberships = {}       # contact id => [company ids], in attach order
        @merged_into = {}       # merged-away contact id => surviving contact id
        @attributes = { "contact" => {}, "company" => {} } # model => name => definition
        @seq = 0
        reset_indexes!
      end

      # ---------------------------------------------------------------- contacts

      # id: the Intercom id to give the contact (seeding a workspace); a new random one otherwise.
      def create_contact(params, id: nil)
        params = object!(params)
        unknown!(params, CONTACT_FIELDS)
        role = params.fetch("role", params.key?("external_id") ? "user" : "lead")
        unless %w[user lead].include?(role)
          invalid!("role must be one of user, lead")
        end
        if %w[email external_id role].none? { |k| params.key?(k) }
          raise ApiError.new(400, "parameter_not_found", "email, external_id or role is required")
        end

        attrs = contact_attrs!(params, {})
        attrs["role"] = role
        conflict = find_conflict(attrs) if role == "user"
        if conflict
          prefix = conflict["archived"] ? "An archived contact" : "A contact"
          raise ApiError.new(409, "conflict", "#{prefix} matching those details already exists with id=#{conflict['id']}")
        end

        id = new_id!(id, @contacts)
        now = clock.call
        contact = blank_contact(id).merge(attrs)
        contact["created_at"] = contact["updated_at"] = now
        contact["visible_at"] = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        @contacts[id] = contact
        @memberships[id] = []
        @contact_position[id] = @order.size
        @order << id
        index_contact(contact)
        contact
      end

      def contact!(id, api_version: nil)
        if (into = @merged_into[id])
          into = @merged_into[into] while @merged_into[into]
          if version_at_least?(api_version, 2, 16)
            raise ApiError.new(410, "contact_merged", "Contact has been merged",
                               "Link" => "</contacts/#{into}>; rel=\"canonical\"")
          end
          raise ApiError.new(404, "not_found", "User Not Found")
        end
        contact = @contacts[id]
        raise ApiError.new(404, "not_found", "User Not Found") if contact.nil? || contact["archived"]

        contact
      end

      def find_by_external_id(external_id)
        contact = indexed_users(@users_by_external_id, external_id).find do |c|
          c["role"] == "user" && !c["archived"] && c["external_id"] == external_id
        end
        contact or raise ApiError.new(404, "not_found", "User Not Found")
      end

      def update_contact(id, params, api_version: nil)
        contact = contact!(id, api_version: api_version)
        params = object!(params)
        unknown!(params, CONTACT_FIELDS)
        if params.key?("role")
          unless %w[user lead].include?(params["role"])
            invalid!("role must be one of user, lead")
          end
          if contact["role"] == "user" && params["role"] == "lead"
            invalid!("a user cannot be changed into a lead")
          end
        end
        attrs = contact_attrs!(params, contact["custom_attributes"])
        attrs["role"] = params["role"] if params.key?("role")
        candidate = contact.merge(attrs)
        if candidate["role"] == "user" && (conflict = find_conflict(candidate, except: id))
          raise ApiError.new(409, "conflict", "A contact matching those details already exists with id=#{conflict['id']}")
        end
        contact.merge!(attrs)
        contact["updated_at"] = clock.call
        index_contact(contact)
        contact
      end

      def archive(id)
        contact = @contacts[id] or raise ApiError.new(404, "not_found", "User Not Found")
        contact["archived"] = true
        @archived_ids << id
        { "type" => "contact", "id" => id, "external_id" => contact["external_id"], "archived" => true }
      end

      def unarchive(id)
        contact = @contacts[id] or raise ApiError.new(404, "not_found", "User Not Found")
        contact["archived"] = false
        @archived_ids.delete(id)
        { "type" => "contact", "id" => id, "external_id" => contact["external_id"], "archived" => false }
      end

      # POST /contacts/merge: a lead into a user; the lead disappears, its data fills the gaps.
      def merge(params, api_version: nil)
        params = object!(params)
        from_id = params["from"]
        into_id = params["into"]
        unless from_id.is_a?(String) && into_id.is_a?(String)
          raise ApiError.new(400, "parameter_not_found", "from and into are required")
        end

        lead = contact!(from_id, api_version: api_version)
        user = contact!(into_id, api_version: api_version)
        invalid!("from must be a lead") unless lead["role"] == "lead"
        invalid!("into must be a user") unless user["role"] == "user"
        if version_at_least?(api_version, 2, 16) && !params["skip_duplicate_validation"] &&
           !same_email_or_phone?(lead, user)
          raise ApiError.new(400, "invalid_merge", "Contacts must share an email or phone to be merged")
        end

        %w[name phone email avatar].each { |k| user[k] ||= lead[k] }
        user["custom_attributes"] = lead["custom_attributes"].merge(user["custom_attributes"])
        @memberships.fetch(from_id, []).each do |company_id|
          @members[company_id].delete(from_id)
          @members[company_id] << into_id
        end
        @memberships[into_id] |= @memberships.fetch(from_id, [])
        @contacts.delete(from_id)
        @memberships.delete(from_id)
        unindex_contact(from_id)
        @merged_into[from_id] = into_id
        user["updated_at"] = clock.call
        index_contact(user)
        user
      end

      # Contacts visible to search: not merged away, not archived, indexed.
      def listable_contacts(search_lag: 0)
        now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        @contacts.each_value.select { |c| listable?(c, now: now, search_lag: search_lag) }
      end

      def listable?(contact, now: Process.clock_gettime(Process::CLOCK_MONOTONIC), search_lag: 0)
        !contact["archived"] && (now - contact["visible_at"]) >= search_lag
      end

      # GET /contacts: up to per_page listable contacts from position (an index in creation
      # order), and the position after the last of them, nil when no listable contact follows.
      # A page costs what it holds plus the archived and merged contacts it steps over, never
      # the whole workspace: a cursor is a place in the creation order, not an offset to count
      # up to again, so paging 100,000 contacts is linear, and contacts created meanwhile come
      # last, as in Intercom's list.
      def list_page(position, per_page)
        page = []
        while position < @order.size && page.size < per_page
          contact = @contacts[@order[position]]
          position += 1
          page << contact if contact && listable?(contact)
        end
        following = position
        following += 1 while following < @order.size && !listed?(@order[following])
        [page, following < @order.size ? position : nil]
      end

      # Contacts GET /contacts lists (archived and merged ones are not).
      def listed_count
        @contacts.size - @archived_ids.size
      end

      def all_contacts
        @contacts.values
      end

      def contact_count
        @contacts.size
      end

      # ---------------------------------------------------------------- companies

      # id: the Intercom id to give a new company (seeding a workspace); a random one otherwise.
      def upsert_company(params, id: nil)
        params = object!(params)
        unknown!(params, COMPANY_FIELDS, code: "bad_request")
        company_id = params["company_id"]
        unless company_id.is_a?(String) || company_id.is_a?(Integer)
          raise ApiError.new(400, "parameter_not_found", "company_id is required")
        end

        company_id = company_id.to_s
        company = @company_by_company_id[company_id]
        attrs = company_attrs!(params, company ? company["custom_attributes"] : {})
        now = clock.call
        if company
          company.merge!(attrs)
        else
          company = blank_company(new_id!(id, @companies), company_id).merge(attrs)
          company["created_at"] = now
          @companies[company["id"]] = company
          @company_by_company_id[company_id] = company # a company's company_id never changes
        end
        company["updated_at"] = now
        company["last_request_at"] = now if params["update_last_request_at"]
        company
      end

      def company!(id)
        @companies[id] or raise ApiError.new(404, "company_not_found", "Company Not Found")
      end

      def company_by(field, value)
        found = if field == "company_id"
                  @company_by_company_id[value.to_s]
                else
                  @companies.each_value.find { |c| c[field].to_s == value.to_s }
                end
        found or raise ApiError.new(404, "company_not_found", "Company Not Found")
      end

      def all_companies
        @companies.values
      end

      def company_count
        @companies.size
      end

      def attach(contact_id, params, api_version: nil)
        contact!(contact_id, api_version: api_version)
        params = object!(params)
        company_id = params["id"]
        raise ApiError.new(400, "parameter_not_found", "company not specified") unless company_id.is_a?(String)

        company = company!(company_id)
        list = @memberships[contact_id]
        unless list.include?(company_id)
          if list.size >= MAX_COMPANIES_PER_CONTACT
            raise ApiError.new(400, "contact_company_limit_exceeded",
                               "A contact can be attached to at most #{MAX_COMPANIES_PER_CONTACT} companies")
          end
          list << company_id
          @members[company_id] << contact_id
        end
        company
      end

      # Detaching a company that is not attached answers 200 like a detach that happened, so a
      # retried detach is harmless.
      def detach(contact_id, company_id, api_version: nil)
        contact!(contact_id, api_version: api_version)
        company = company!(company_id)
        @memberships[contact_id].delete(company_id)
        @members[company_id].delete(contact_id)
        company
      end

      def company_ids_of(contact_id)
        @memberships.fetch(contact_id, [])
      end

      def user_count(company_id)
        @members[company_id].size
      end

      # ---------------------------------------------------------------- data attributes

      def data_attributes(model)
        models = model ? [model] : %w[contact company]
        models.flat_map do |m|
          invalid!("model must be contact or company") unless @attributes.key?(m)
          standard = STANDARD_ATTRIBUTES[m].map { |name, type| standard_attribute(m, name, type) }
          standard + @attributes[m].values
        end
      end

      def create_data_attribute(params)
        params = object!(params)
        name = params["name"]
        model = params["model"]
        type = params["data_type"]
        raise ApiError.new(400, "parameter_not_found", "name is required") unless name.is_a?(String) && !name.empty?

        invalid!("model must be contact or company") unless %w[contact company].include?(model)
        invalid!("data_type must be one of #{DATA_TYPES.join(', ')}") unless DATA_TYPES.include?(type)
        unless name.match?(/\A[A-Za-z0-9_\- ]{1,190}\z/)
          invalid!("Your name for this attribute contains characters that are not allowed")
        end
        taken = STANDARD_ATTRIBUTES[model].key?(name.downcase) ||
                @attributes[model].keys.any? { |k| k.casecmp?(name) }
        if taken
          invalid!("You already have '#{name}' in your #{model == 'contact' ? 'person' : 'company'} data. " \
                   "To save this as new #{model == 'contact' ? 'people' : 'company'} data, use a different name.")
        end
        if type == "options" && !(params["options"].is_a?(Array) && params["options"].size >= 2)
          invalid!("options attributes need at least two options")
        end

        now = clock.call
        @attributes[model][name] = {
          "type" => "data_attribute", "id" => @seq += 1, "model" => model, "name" => name,
          "full_name" => "custom_attributes.#{name}", "label" => name,
          "description" => params["description"].to_s, "data_type" => type,
          "options" => params["options"], "api_writable" => true,
          "messenger_writable" => params["messenger_writable"] ? true : false,
          "ui_writable" => true, "custom" => true, "archived" => false,
          "created_at" => now, "updated_at" => now, "admin_id" => nil
        }.compact
      end

      def attribute_type(model, name)
        @attributes[model][name]&.fetch("data_type")
      end

      # ---------------------------------------------------------------- helpers

      def next_id
        SecureRandom.hex(12)
      end

      private

      # Lookups that a workspace of 100,000 contacts (bench/scale.rb) would otherwise pay a scan
      # for on every request: users by external_id and by email (conflicts, find_by_external_id),
      # companies by company_id, the contacts attached to each company (user_count), the
      # creation order (list pages) and the archived ids (the list's total_count). The Store's
      # own methods keep them; a record changed behind its back is not re-indexed.
      def reset_indexes!
        @order = []                                # contact ids in creation order, merged ones too
        @contact_position = {}                     # contact id => its index in @order
        @archived_ids = Set.new
        @users_by_external_id = Hash.new { |h, k| h[k] = Set.new }
        @users_by_email = Hash.new { |h, k| h[k] = Set.new }
        @indexed_keys = {}                         # contact id => [external_id, email] as indexed
        @company_by_company_id = {}
        @members = Hash.new { |h, k| h[k] = Set.new } # company id => contact ids attached
      end

      def index_contact(contact)
        id = contact["id"]
        unindex_contact(id)
        return unless contact["role"] == "user"

        keys = [contact["external_id"], contact["email"]&.downcase]
        @users_by_external_id[keys[0]] << id if keys[0]
        @users_by_email[keys[1]] << id if keys[1]
        @indexed_keys[id] = keys
      end

      def unindex_contact(id)
        external_id, email = @indexed_keys.delete(id)
        @users_by_external_id[external_id].delete(id) if external_id
        @users_by_email[email].delete(id) if email
      end

      # The contacts an index holds under key, oldest first (as a scan in creation order finds them).
      def indexed_users(index, key)
        return [] if key.nil? || !index.key?(key)

        index[key].filter_map { |id| @contacts[id] }.sort_by { |c| @contact_position[c["id"]] }
      end

      def listed?(id)
        (contact = @contacts[id]) && listable?(contact)
      end

      def new_id!(id, taken)
        return next_id if id.nil?
        raise ArgumentError, "id #{id.inspect} is not a 24-digit hex id" unless id.is_a?(String) && id.match?(/\A\h{24}\z/)
        raise ArgumentError, "id #{id} is taken" if taken.key?(id)

        id
      end

      def find_conflict(attrs, except: nil)
        email = attrs["email"]&.downcase
        external_id = attrs["external_id"]
        candidates = (indexed_users(@users_by_external_id, external_id) + indexed_users(@users_by_email, email))
                     .uniq.sort_by { |c| @contact_position[c["id"]] }
        candidates.find do |c|
          next false if c["id"] == except || c["role"] != "user"

          (external_id && c["external_id"] == external_id) || (email && c["email"]&.downcase == email)
        end
      end

      def same_email_or_phone?(a, b)
        (a["email"] && a["email"].casecmp?(b["email"].to_s)) || (a["phone"] && a["phone"] == b["phone"])
      end

      def version_at_least?(version, major, minor)
        return false unless version.to_s.match?(/\A\d+\.\d+\z/)

        maj, min = version.split(".").map(&:to_i)
        maj > major || (maj == major && min >= minor)
      end

      def blank_contact(id)
        {
          "type" => "contact", "id" => id, "workspace_id" => "emulator", "external_id" => nil,
          "role" => "lead", "email" => nil, "email_domain" => nil, "phone" => nil, "name" => nil,
          "avatar" => nil, "owner_id" => nil, "has_hard_bounced" => false,
          "marked_email_as_spam" => false, "unsubscribed_from_emails" => false,
          "created_at" => nil, "updated_at" => nil, "signed_up_at" => nil, "last_seen_at" => nil,
          "last_replied_at" => nil, "last_contacted_at" => nil, "custom_attributes" => {},
          "location" => { "type" => "location", "country" => nil, "region" => nil, "city" => nil,
                          "country_code" => nil, "continent_code" => nil },
          "archived" => false
        }
      end

      def blank_company(id, company_id)
        {
          "type" => "company", "id" => id, "company_id" => company_id, "app_id" => "emulator",
          "name" => nil, "remote_created_at" => nil, "created_at" => nil, "updated_at" => nil,
          "last_request_at" => nil, "monthly_spend" => 0, "session_count" => 0, "size" => 0,
          "website" => nil, "industry" => nil, "plan" => {}, "custom_attributes" => {}
        }
      end

      def standard_attribute(model, name, type)
        { "type" => "data_attribute", "model" => model, "name" => name, "full_name" => name,
          "label" => name.tr("_", " ").capitalize, "data_type" => type, "api_writable" => true,
          "custom" => false, "archived" => false }
      end
    end
  end
end
