# frozen_string_literal: true

require "json"

module IntercomSync
  class Emulator
    # Loads a workspace straight into the Store, without a request each: a benchmark of a
    # workspace of 100,000 contacts (bench/scale.rb) cannot create them through the API first.
    # Every record still goes through the Store's own create, upsert and attach, with the
    # API's rules (unknown fields, types, custom attributes defined first, conflicts), so a
    # seeded contact is exactly what POST /contacts would have made. JSON Lines, one record a
    # line, in the order given:
    #
    #   {"data_attribute": {"model": "contact", "name": "plan", "data_type": "string"}}
    #   {"company": {POST /companies body}, "id": "24 hex digits"}
    #   {"contact": {POST /contacts body}, "id": "24 hex digits", "companies": [company ids to attach]}
    #
    # "id" is optional (a random one otherwise); "companies" are Intercom ids of companies
    # seeded on earlier lines, attached in that order.
    class WorkspaceSeed
      # A line the Store refused, with its number and Intercom's error message.
      class Error < StandardError; end

      Counts = Struct.new(:data_attributes, :companies, :contacts, :attachments, keyword_init: true)

      def initialize(store)
        @store = store
      end

      # Reads every line of io into the store; returns the Counts. Stops at the first line
      # refused (the lines before it stay loaded).
      def load(io)
        counts = Counts.new(data_attributes: 0, companies: 0, contacts: 0, attachments: 0)
        io.each_line.with_index(1) do |line, number|
          next if line.strip.empty?

          apply(parse(line, number), counts)
        rescue ApiError, ArgumentError => e
          raise Error, "seed line #{number}: #{e.message}"
        end
        counts
      end

      private

      def parse(line, number)
        record = JSON.parse(line)
        return record if record.is_a?(Hash)

        raise Error, "seed line #{number}: not a JSON object"
      rescue JSON::ParserError => e
        raise Error, "seed line #{number}: not JSON (#{e.message[0, 80]})"
      end

      def apply(record, counts)
        if (attribute = record["data_attribute"])
          @store.create_data_attribute(attribute)
          counts.data_attributes += 1
        elsif (company = record["company"])
          @store.upsert_company(company, id: record["id"])
          counts.companies += 1
        elsif (contact = record["contact"])
          id = @store.create_contact(contact, id: record["id"])["id"]
          counts.contacts += 1
          Array(record["companies"]).each do |company_id|
            @store.attach(id, { "id" => company_id })
            counts.attachments += 1
          end
        else
          raise ArgumentError, "a line holds one of data_attribute, company or contact"
        end
      end
    end
  end
end
