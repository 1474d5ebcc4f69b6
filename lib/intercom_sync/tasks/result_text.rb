# frozen_string_literal: true

module IntercomSync
  module Tasks
    # What one sync did, as a paragraph for a person (rake intercom_sync:sync), not an inspect:
    #
    #   Synced User 42 with Intercom contact 6650f0c1 (created): pushed email, name,
    #   signed_up_at, last_seen_at and custom_attributes; pulled nothing; companies upserted for
    #   teams 7; 1 company attached, none detached; no leads merged; 6 requests.
    module ResultText
      module_function

      def call(user_label, result)
        contact = result.contact_id ? "Intercom contact #{result.contact_id}" : "Intercom"
        head = "Synced #{user_label} with #{contact}#{' (created)' if result.created?}"
        lines = [result.changed? ? "#{head}: #{changes(result)}; #{requests(result)}." : "#{head}: already in step, " \
                                                                                         "nothing written; #{requests(result)}."]
        lines.concat(result.warnings.map { |w| "  warning: #{w}" })
        lines.concat(result.filtered_attributes.map { |name| "  not sent (its name looks like a secret): #{name}" })
        lines.join("\n")
      end

      def changes(result)
        [
          "pushed #{list(result.fields_pushed)}",
          "pulled #{list(result.fields_pulled)}",
          upserted(result.companies_upserted),
          "#{count(result.companies_attached, 'company', 'companies')} attached, " \
          "#{count(result.companies_detached, 'company', 'companies', none: 'none')} detached",
          result.leads_merged.empty? ? "no leads merged" : "#{count(result.leads_merged, 'lead', 'leads')} merged"
        ].join("; ")
      end

      def upserted(team_ids)
        return "no companies upserted" if team_ids.empty?

        "companies upserted for #{team_ids.size == 1 ? 'team' : 'teams'} #{list(team_ids)}"
      end

      def requests(result)
        count([nil] * result.requests.to_i, "request", "requests")
      end

      def count(items, one, many, none: "no")
        return "#{none} #{many}" if items.empty? && none == "no"
        return none if items.empty?

        "#{items.size} #{items.size == 1 ? one : many}"
      end

      def list(items)
        return "nothing" if items.empty?
        return items.first.to_s if items.size == 1

        "#{items[0..-2].join(', ')} and #{items.last}"
      end
    end
  end
end
