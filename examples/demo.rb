# frozen_string_literal: true

# The main job, end to end: sample users and teams in a SQLite database (ActiveRecord), synced
# by SyncWithIntercomJob (ActiveJob) through the native extension into the Intercom emulator
# that ships with the gem. Then the same sync again: with nothing changed there is nothing to do.
#
# With INTERCOM_BASE_URL and INTERCOM_ACCESS_TOKEN both set, it syncs the sample users into that
# workspace instead (it writes there: use a test workspace).
require "fileutils"
require "tmpdir"
require "intercom_sync"
require "intercom_sync/emulator"
require "intercom_sync/job"
require_relative "sample_app"

DATABASE = File.expand_path("demo.sqlite3", __dir__)

def seed_app
  FileUtils.rm_f(DATABASE)
  SampleApp.connect(DATABASE)
  now = Time.now
  ann = User.create!(email: "ann@example.com", name: "Ann Lee", plan: "pro", seats: 12,
                     created_at: now - 3600, last_request_at: now - 60)
  bob = User.create!(email: "bob@example.com", plan: "free", seats: 1, created_at: now - (40 * 86_400),
                     last_request_at: now - (2 * 86_400))
  cat = User.create!(email: "cat@example.com", name: "", oauth_provider: "google", plan: "free", seats: 1,
                     created_at: now - (9 * 86_400))
  dan = User.create!(email: "dan@example.com", name: "Dan Roe", timezone: "UTC", plan: "team", seats: 5,
                     created_at: now - (100 * 86_400), last_request_at: now - 300)
  acme = Team.create!(domain: "acme.com", monthly_spend: 490.75, tier: "gold", owner: ann, created_at: now - (300 * 86_400))
  globex = Team.create!(domain: "globex.com", monthly_spend: 90, tier: "silver", owner: bob, created_at: now - (200 * 86_400))
  initech = Team.create!(domain: "initech.com", monthly_spend: 1200, tier: "gold", owner: dan, created_at: now - (90 * 86_400))
  { ann => [acme], bob => [acme, globex], cat => [globex], dan => [initech] }.each do |user, teams|
    teams.each { |team| Membership.create!(user: user, team: team) }
  end
  [ann, bob, cat, dan]
end

# What Intercom already knows before the first sync, as a real workspace would.
def seed_workspace(emulator, users)
  ann, bob, cat, dan = users
  emulator.seed_contact(role: "lead", email: ann.email, phone: "+44 20 7946 0018") # chatted before signing up
  emulator.seed_contact(role: "user", external_id: bob.id.to_s, email: bob.email, name: "Robert Paulson",
                        phone: "+1 415 555 0134", last_seen_at: Time.now.to_i - 600)
  emulator.seed_contact(role: "user", external_id: cat.id.to_s, email: cat.email, name: "Catherine")
  contact = emulator.seed_contact(role: "user", external_id: dan.id.to_s, email: dan.email, name: "Dan Roe",
                                  timezone: "Europe/Paris")
  emulator.attach(contact["id"], emulator.seed_company(company_id: "legacy-9", name: "old-employer.com")["id"])
end

def describe(user, result)
  intercom = []
  intercom << (result.created? ? "created contact #{result.contact_id}" : "contact #{result.contact_id}")
  intercom << "pushed #{result.fields_pushed.join(', ')}" if result.fields_pushed.any? && !result.created?
  intercom << "upserted companies for teams #{result.companies_upserted.join(', ')}" if result.companies_upserted.any?
  intercom << "attached #{result.companies_attached.size}" if result.companies_attached.any?
  intercom << "detached #{result.companies_detached.size}" if result.companies_detached.any?
  intercom << "merged #{result.leads_merged.size} lead(s)" if result.leads_merged.any?
  app = []
  app << "pulled #{result.fields_pulled.join(', ')}" if result.fields_pulled.any?
  app << "stored the Intercom id" if result.contact_id_stored?
  line = format("  %-16<email>s %2<n>d req  Intercom: %<intercom>s", email: user.email, n: result.requests,
                                                                        intercom: intercom.join('; '))
  line += "\n#{' ' * 27}app: #{app.join('; ')}" if app.any?
  line += "\n#{' ' * 27}nothing to do" unless result.changed?
  puts line
  result.warnings.each { |w| puts "#{' ' * 27}warning: #{w}" }
end

def run_pass(title, users)
  puts "\n#{title}"
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  results = users.map do |user|
    # perform_now runs the job as a worker would (callbacks, queue crm_sync) and returns its result
    result = SyncWithIntercomJob.perform_now(user.reload)
    describe(user.reload, result)
    result
  end
  elapsed = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000
  changed = results.count(&:changed?)
  puts format("  => %<n>d users, %<changed>d changed, %<req>d requests in %<ms>.1f ms", n: users.size,
                                                                                     changed: changed,
                                                                                     req: results.sum(&:requests),
                                                                                     ms: elapsed)
  results
end

external = !ENV["INTERCOM_BASE_URL"].to_s.empty? && !ENV["INTERCOM_ACCESS_TOKEN"].to_s.empty?
ActiveJob::Base.logger = Logger.new(nil)
users = seed_app
emulator = nil
IntercomSync.configure do |c|
  c.enabled = true
  c.logger = Logger.new($stdout, level: Logger::WARN, formatter: ->(_, _, _, msg) { "  log: #{msg}\n" })
  unless external
    emulator = IntercomSync::Emulator.start
    seed_workspace(emulator, users)
    c.base_url = emulator.base_url
    c.access_token = emulator.token
  end
end

puts "intercom_sync #{IntercomSync::VERSION} (libcurl #{IntercomSync::Native::LIBCURL_VERSION}), " \
     "#{users.size} users and #{Team.count} teams in #{File.basename(DATABASE)}"
puts "Intercom: #{external ? IntercomSync.configuration.base_url : "the embedded emulator at #{emulator.base_url}"}"

run_pass("Pass 1: SyncWithIntercomJob for every user", users)
second = run_pass("Pass 2: the same sync again, nothing changed since", users)

# The rake tasks a Rails app gets from the engine, run here as `bin/rails intercom_sync:...` would.
require "rake"
Rake.application.init("demo", [])
Rake::Task.define_task(:environment)
load File.expand_path("../lib/intercom_sync/tasks.rake", __dir__)

dan = users.last.reload
dan.update!(plan: "enterprise", seats: 40, name: "Daniel Roe")
puts "\nPass 3: Dan changed plan, seats and name in the app; bin/rails \"intercom_sync:plan[#{dan.id}]\" shows " \
     "what a sync would do, writing nothing"
Rake::Task["intercom_sync:plan"].invoke(dan.id.to_s)

signups = 400
now = Time.now
User.insert_all(Array.new(signups) do |i|
  { email: "signup#{i}@example.com", name: "Signup #{i}", plan: "free", seats: 1,
    created_at: now - (30 * 86_400), updated_at: now }
end)
puts "\nPass 4: #{signups} more users signed up; bin/rails intercom_sync:backfill CONCURRENCY=4 syncs every user " \
     "(a bar on a terminal, a line every second through a pipe)"
Dir.mktmpdir("intercom_sync-demo") do |dir|
  ENV.update("CONCURRENCY" => "4", "PROGRESS_EVERY" => "1", "CURSOR" => File.join(dir, "backfill.cursor"))
  Rake::Task["intercom_sync:backfill"].invoke # exits 1 when a user failed
end

if emulator
  puts "\nIntercom now: #{emulator.contacts.count { |c| c['role'] == 'user' }} users, " \
       "#{emulator.contacts.count { |c| c['role'] == 'lead' }} leads, #{emulator.companies.size} companies; " \
       "#{emulator.requests.size} requests over #{emulator.connections_opened} connection(s)"
  emulator.stop
end
exit(second.any?(&:changed?) ? 1 : 0)
