# frozen_string_literal: true

# The demo of the foundation: the native client against the embedded Intercom emulator,
# walking the calls the sync is made of. (The full user/team sync replaces this demo once
# SyncWithIntercom exists.)
#
# With INTERCOM_BASE_URL and INTERCOM_ACCESS_TOKEN both set it talks to that server instead,
# read-only: it lists data attributes and one contact, and changes nothing.
require "intercom_sync"
require "intercom_sync/emulator"

def step(title)
  puts "\n#{title}"
end

def say(text)
  puts "  #{text}"
end

def external_run
  client = IntercomSync::Client.new
  puts "intercom_sync #{IntercomSync::VERSION}: read-only check of #{client.base_url} (API #{client.api_version})"
  attributes = client.get("/data_attributes?model=contact").body["data"]
  say "#{attributes.size} contact data attributes (#{attributes.count { |a| a['custom'] }} custom)"
  page = client.get("/contacts?per_page=1")
  say "contacts reachable; rate limit #{page.rate_limit&.remaining}/#{page.rate_limit&.limit} left in this window"
rescue IntercomSync::Error => e
  warn "  failed: #{e.class}: #{e.message}"
  exit 1
end

def emulator_run
  emulator = IntercomSync::Emulator.start
  client = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url)
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  puts "intercom_sync #{IntercomSync::VERSION} (libcurl #{IntercomSync::Native::LIBCURL_VERSION}) " \
       "against the embedded Intercom emulator at #{emulator.base_url}"

  step "1. Custom data attributes must exist before use (API 2.x)"
  { "plan" => "string", "seats" => "integer", "deleted" => "boolean" }.each do |name, type|
    client.post("/data_attributes", { name: name, model: "contact", data_type: type })
  end
  client.post("/data_attributes", { name: "deleted", model: "company", data_type: "boolean" })
  say "defined contact attributes plan, seats, deleted and company attribute deleted"

  step "2. Users become contacts; a duplicate create is resolved, never duplicated"
  emulator.seed_contact(role: "lead", email: "ann@example.com", phone: "+44 20 7946 0000")
  users = [
    { external_id: "1", email: "ann@example.com", name: "Ann", custom_attributes: { plan: "pro", seats: 5, deleted: false } },
    { external_id: "2", email: "bob@example.com", name: "Bob", custom_attributes: { plan: "free", seats: 1, deleted: false } }
  ]
  ids = users.to_h do |u|
    contact = client.post("/contacts", u.merge(role: "user")).body
    say "created contact #{contact['id']} for user #{u[:external_id]} (#{u[:email]})"
    [u[:external_id], contact["id"]]
  end
  begin
    client.post("/contacts", { role: "user", external_id: "1", email: "ann@example.com" })
  rescue IntercomSync::ConflictError => e
    say "creating user 1 again: #{e.class} -> existing contact #{e.existing_id}"
  end
  found = client.get("/contacts/find_by_external_id/1").body
  say "find_by_external_id(1) -> #{found['id']}"

  step "3. Teams become companies and memberships"
  acme = client.post("/companies", { company_id: "10", name: "acme.com", monthly_spend: 490,
                                     custom_attributes: { deleted: false } }).body
  globex = client.post("/companies", { company_id: "11", name: "globex.com", monthly_spend: 90 }).body
  client.post("/contacts/#{ids['1']}/companies", { id: acme["id"] })
  client.post("/contacts/#{ids['1']}/companies", { id: globex["id"] })
  client.post("/contacts/#{ids['2']}/companies", { id: acme["id"] })
  client.delete("/contacts/#{ids['1']}/companies/#{globex['id']}")
  say "upserted acme.com and globex.com; Ann is in #{emulator.company_ids_of(ids['1']).size} company, Bob in " \
      "#{emulator.company_ids_of(ids['2']).size}"

  step "4. Leads with a new user's email are merged into the user"
  leads = client.post("/contacts/search", {
                        query: { operator: "AND", value: [{ field: "email", operator: "=", value: "ann@example.com" },
                                                          { field: "role", operator: "=", value: "lead" }] },
                        pagination: { per_page: 150 }
                      }).body["data"]
  leads.each do |lead|
    merged = client.post("/contacts/merge", { from: lead["id"], into: ids["1"] }).body
    say "merged lead #{lead['id']} into #{merged['id']} (phone now #{merged['phone'].inspect})"
  end

  step "5. Failures are typed errors"
  begin
    client.get("/contacts/#{leads.first['id']}")
  rescue IntercomSync::ContactMergedError => e
    say "the merged lead: #{e.class} (HTTP #{e.http_status} #{e.code}), canonical id #{e.canonical_id}"
  end
  emulator.inject(:status, status: 503, times: 1)
  begin
    client.get("/contacts/#{ids['2']}")
  rescue IntercomSync::ServiceUnavailableError => e
    say "an injected outage: #{e.class}: #{e.message}"
  end

  elapsed = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000
  stats = client.stats
  step "Report"
  say "Intercom now holds #{emulator.contacts.size} contacts and #{emulator.companies.size} companies"
  say "#{stats[:requests]} requests over #{stats[:connections]} connection(s) in #{elapsed.round(1)} ms"
ensure
  emulator&.stop
end

if ENV["INTERCOM_BASE_URL"].to_s != "" && ENV["INTERCOM_ACCESS_TOKEN"].to_s != ""
  external_run
else
  emulator_run
end
