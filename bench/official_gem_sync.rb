# frozen_string_literal: true

require "intercom"

# The seed job written on the official `intercom` gem (4.x), the pure-Ruby client a team would
# pick instead, following its README: one Intercom::Client per thread, handle_rate_limit: true.
# It makes the same decisions as intercom_sync (stored id, else search by external_id since the
# gem has no find_by_external_id; changed fields only; no save when nothing changed), but with
# the calls the gem offers.
class OfficialGemSync
  def initialize(token:, base_url:)
    @intercom = Intercom::Client.new(token: token, base_url: base_url, handle_rate_limit: true)
  end

  attr_reader :intercom

  def perform(user)
    contact = find_contact(user) || create_contact(user)
    user.update(metadata: user.metadata.merge("intercom_user_id" => contact.id))

    owned_companies = user.owned_teams.to_h do |team|
      company = @intercom.companies.create(company_id: team.id.to_s, name: team.domain,
                                           remote_created_at: team.created_at.to_i, monthly_spend: team.monthly_spend.to_i,
                                           custom_attributes: team.as_json.merge("deleted" => false))
      team.update(metadata: team.metadata.merge("intercom_company_id" => company.id))
      [team.id, company]
    end

    sync_companies(user, contact, owned_companies)
    push_fields(user, contact)
    merge_leads(user, contact) if user.created_at > Time.now - 86_400
    contact
  end

  private

  def find_contact(user)
    stored = user.metadata["intercom_user_id"]
    if stored
      begin
        return @intercom.contacts.find(id: stored)
      rescue Intercom::ResourceNotFound
        nil
      end
    end
    @intercom.contacts.search(query: { field: "external_id", operator: "=", value: user.id.to_s }).first
  end

  def create_contact(user)
    @intercom.contacts.create(role: "user", external_id: user.id.to_s, email: user.email, name: user.name,
                              signed_up_at: user.created_at.to_i, last_seen_at: user.last_request_at.to_i,
                              custom_attributes: user.as_json)
  end

  def sync_companies(user, contact, owned_companies)
    attached = contact.companies.map(&:id)
    wanted = user.teams.map do |team|
      owned_companies[team.id]&.id || @intercom.companies.create(company_id: team.id.to_s).id
    end
    (wanted - attached).each { |id| contact.add_company(id: id) }
    (attached - wanted).each { |id| contact.remove_company(id: id) }
  end

  def push_fields(user, contact)
    changed = false
    { email: user.email, name: user.name, signed_up_at: user.created_at.to_i }.each do |field, value|
      current = contact.public_send(field)
      next if (current.is_a?(Time) ? current.to_i : current) == value # the gem turns *_at into Time

      contact.public_send("#{field}=", value)
      changed = true
    end
    last_seen = [user.last_request_at.to_i, contact.last_seen_at.to_i].max
    if contact.last_seen_at.to_i != last_seen
      contact.last_seen_at = last_seen
      changed = true
    end
    custom = user.as_json
    if custom.any? { |k, v| contact.custom_attributes[k] != v }
      contact.custom_attributes = custom
      changed = true
    end
    @intercom.contacts.save(contact) if changed
  end

  def merge_leads(user, contact)
    leads = @intercom.contacts.search(query: { operator: "AND", value: [{ field: "email", operator: "=", value: user.email },
                                                                         { field: "role", operator: "=", value: "lead" }] })
    leads.each { |lead| @intercom.contacts.merge(lead, contact) }
  end
end
