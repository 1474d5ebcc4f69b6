# frozen_string_literal: true

require "open3"

# ActiveSupport::Notifications events: request.intercom_sync for each request to Intercom (made
# in the C core, recorded there and published after the call) and sync.intercom_sync for each
# sync of one user. Payloads carry ids and counts, never the token or an email.
RSpec.describe "ActiveSupport::Notifications events", sync: true do
  before { define_user_attributes }

  # The events of the block, as ActiveSupport::Notifications::Event objects.
  def events(name)
    seen = []
    subscriber = ActiveSupport::Notifications.subscribe(name) { |event| seen << event }
    yield
    seen
  ensure
    ActiveSupport::Notifications.unsubscribe(subscriber)
  end

  def requests_of(&block)
    events("request.intercom_sync", &block)
  end

  # Nothing in a payload names the token or an email, however deep.
  def expect_no_secrets(payloads)
    text = payloads.map(&:inspect).join("\n")
    expect(text).not_to include(emulator.token)
    expect(text).not_to include("@example.com")
  end

  describe "request.intercom_sync" do
    it "is published for each request of a sync, with the path's template and the answer" do
      IntercomSync.configuration.create_first = :never # looked up first: a templated id in a path
      user = create_user
      published = requests_of { SyncWithIntercom.perform(user) }
      contact_id = user.reload.metadata["intercom_user_id"]
      expect(published.size).to eq(emulator.requests.size)
      expect(published.map { |e| "#{e.payload[:method]} #{e.payload[:path]}" })
        .to eq(emulator.requests.map { |r| "#{r.method} #{r.path.sub(contact_id, '{id}').sub(user.id.to_s, '{id}')}" })
      expect(published.map { |e| e.payload[:path] }).to eq(["/data_attributes", "/contacts/find_by_external_id/{id}", "/contacts"])
      expect(published.map { |e| e.payload[:status] }).to eq(emulator.requests.map(&:status))
      # the lookup's 404 is an answer the sync expects: the request failed, the sync did not
      expect(published[1].payload).to include(status: 404, error_class: "IntercomSync::NotFoundError")
      first = published.first.payload
      expect(first.keys).to contain_exactly(:method, :path, :status, :retries, :waited_ms, :rate_limit_limit,
                                            :rate_limit_remaining, :error_class)
      expect(first).to include(retries: 0, error_class: nil)
      expect(first[:rate_limit_limit]).to be_a(Integer)
      expect(first[:rate_limit_remaining]).to be_between(0, first[:rate_limit_limit])
      expect_no_secrets(published.map(&:payload))
    end

    it "times each request on the monotonic clock, inside the sync's own event" do
      user = create_user
      sync_events = []
      published = requests_of { sync_events = events("sync.intercom_sync") { SyncWithIntercom.perform(user) } }
      sync = sync_events.fetch(0)
      published.each do |event|
        expect(event.duration).to be >= 0
        expect(event.time).to be >= sync.time
        expect(event.end).to be <= sync.end
      end
      expect(published.map(&:time)).to eq(published.map(&:time).sort)
    end

    it "never carries an id or a query, even for paths the gem does not know" do
      published = requests_of do
        client.get("/contacts?email=ann%40example.com&per_page=1")
        %w[/contacts/find_by_external_id/ann%40example.com /admins/ann%40example.com].each do |path|
          expect { client.get(path) }.to raise_error(IntercomSync::NotFoundError)
        end
      end
      expect(published.map { |e| e.payload[:path] })
        .to eq(["/contacts", "/contacts/find_by_external_id/{id}", "/admins/{id}"])
      expect_no_secrets(published.map(&:payload))
    end

    it "leaves out the email a lead search and merge send" do
      user = create_user(email: "private.person@example.com", created_at: Time.now - 3600)
      emulator.seed_contact(role: "lead", email: "private.person@example.com")
      published = requests_of { SyncWithIntercom.perform(user) }
      expect(published.map { |e| e.payload[:path] }).to include("/contacts/search", "/contacts/merge")
      expect_no_secrets(published.map(&:payload))
    end

    it "counts the retries of a request in one event, and names the error of one that failed" do
      retrying = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, max_retries: 2,
                                          pace: false)
      emulator.inject(:status, status: 503, path: "/data_attributes", times: 1)
      emulator.inject(:status, status: 404, path: "/contacts/nope")
      published = requests_of do
        retrying.get("/data_attributes")
        expect { retrying.get("/contacts/nope") }.to raise_error(IntercomSync::NotFoundError)
      end
      expect(published.map(&:payload)).to match([
        include(method: "GET", path: "/data_attributes", status: 200, retries: 1, error_class: nil, waited_ms: be_positive),
        include(method: "GET", path: "/contacts/{id}", status: 404, retries: 0, error_class: "IntercomSync::NotFoundError")
      ])
    end

    it "names a transport failure's class, with no status" do
      emulator.inject(:close, path: "/data_attributes")
      published = requests_of { expect { client.get("/data_attributes") }.to raise_error(IntercomSync::ConnectionError) }
      expect(published.map(&:payload)).to match([include(path: "/data_attributes", status: nil,
                                                         error_class: "IntercomSync::ConnectionError")])
    end

    it "names the Ruby exception that interrupted a request" do
      emulator.inject(:stall, path: "/data_attributes", seconds: 5)
      published = requests_of do
        expect { Timeout.timeout(0.2) { client.get("/data_attributes") } }.to raise_error(Timeout::Error)
      end
      # (Timeout unwinds with its own exception, which it turns into Timeout::Error outside the block)
      expect(published.map(&:payload)).to match([include(path: "/data_attributes", status: nil, error_class: /\ATimeout::/)])
    end

    it "costs no trace when nobody listens: nothing is recorded" do
      c = client
      c.get("/data_attributes")
      expect(c.__send__(:trace_take)).to eq([[], 0])
    end
  end

  describe "sync.intercom_sync" do
    it "is published once per sync with the user's id, what moved, and the request count" do
      user = create_user
      published = events("sync.intercom_sync") { SyncWithIntercom.perform(user) }
      expect(published.size).to eq(1)
      payload = published.first.payload
      expect(payload).to include(user_id: user.id, contact_id: user.reload.metadata["intercom_user_id"],
                                 created: true, dry_run: false, requests: emulator.requests.size, retries: 0,
                                 error_class: nil)
      expect(payload[:fields_pushed]).to include("email", "name")
      expect(payload[:fields_pulled]).to eq([])
      expect(payload.keys).to contain_exactly(:user_id, :contact_id, :created, :dry_run, :fields_pushed,
                                              :fields_pulled, :requests, :retries, :error_class)
      expect(published.first.duration).to be >= 0
      expect_no_secrets([payload])
    end

    it "names the error class of a sync that failed, with the requests made before" do
      user = create_user
      emulator.inject(:status, status: 401, code: "unauthorized", path: %r{/contacts})
      published = events("sync.intercom_sync") do
        expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::AuthenticationError)
      end
      expect(published.map(&:payload)).to match([include(user_id: user.id, error_class: "IntercomSync::AuthenticationError",
                                                         requests: emulator.requests.size, created: false)])
    end

    it "names an error raised before anything was sent (the app's model)" do
      user = poro_users(1, "bad").first
      def user.as_json(*) = raise(ArgumentError, "as_json exploded")
      published = events("sync.intercom_sync") { expect { SyncWithIntercom.perform(user) }.to raise_error(ArgumentError) }
      expect(published.map(&:payload)).to match([include(user_id: "bad-0", error_class: "ArgumentError", requests: 0)])
    end

    it "marks a dry run (plan)" do
      user = create_user
      published = events("sync.intercom_sync") { SyncWithIntercom.plan(user) }
      expect(published.map(&:payload)).to match([include(dry_run: true, user_id: user.id)])
    end

    it "is published for each user of perform_all, from the worker threads, with their requests" do
      users = poro_users(5, "bulk")
      syncs = []
      published = requests_of do
        syncs = events("sync.intercom_sync") { SyncWithIntercom.perform_all(users, concurrency: 3, prefetch: false) }
      end
      expect(syncs.map { |e| e.payload[:user_id] }).to match_array(users.map(&:id))
      expect(syncs.sum { |e| e.payload[:requests] }).to eq(emulator.requests.size)
      expect(published.size).to eq(emulator.requests.size)
      expect_no_secrets(syncs.map(&:payload) + published.map(&:payload))
    end

    it "publishes the contact pages a bulk run reads as requests too" do
      users = poro_users(4, "paged")
      published = requests_of { SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true) }
      expect(published.map { |e| e.payload[:path] }).to include("/contacts")
      expect(published.size).to eq(emulator.requests.size)
    end

    it "is not published when the sync is off (nothing was synced)" do
      IntercomSync.configuration.enabled = false
      expect(events("sync.intercom_sync") { SyncWithIntercom.perform(create_user) }).to eq([])
    end
  end

  # An app's subscriber is the app's code: its bug must not cost the sync what it learned (the
  # request events are published when the native call returns, before the local writes).
  it "saves what a sync learned and returns its result when a subscriber raises, saying so once" do
    user = create_user
    log = StringIO.new
    IntercomSync.configuration.logger = Logger.new(log)
    raising = %w[request.intercom_sync sync.intercom_sync].map do |name|
      ActiveSupport::Notifications.subscribe(name) { raise ArgumentError, "subscriber bug" }
    end
    result = SyncWithIntercom.perform(user)
    expect(result).to be_created
    expect(user.reload.metadata["intercom_user_id"]).to eq(result.contact_id)
    SyncWithIntercom.perform(user.reload)
    expect(log.string.scan("a subscriber to").size).to eq(2) # once per event name, not per event
    expect(log.string).to include("ArgumentError")
  ensure
    raising&.each { |s| ActiveSupport::Notifications.unsubscribe(s) }
  end

  it "leaves a plain Ruby process (no ActiveSupport) syncing as before" do
    script = <<~RUBY
      require "intercom_sync"
      abort "ActiveSupport was loaded" if defined?(ActiveSupport)
      IntercomSync.configure do |c|
        c.base_url = ENV.fetch("URL")
        c.access_token = ENV.fetch("TOKEN")
        c.enabled = true
      end
      User = Struct.new(:id, :email, :name, :phone_number, :timezone, :created_at, :last_request_at, :metadata,
                        keyword_init: true) do
        def from_oauth? = false
        def teams = []
        def owned_teams = []
        def as_json(*) = {}
        def update!(changes) = changes.each { |k, v| self[k] = v }
      end
      result = SyncWithIntercom.perform(User.new(id: 7, email: "plain@example.com", name: "Plain", metadata: {}))
      puts result.created?
      abort "ActiveSupport was loaded" if defined?(ActiveSupport)
    RUBY
    lib = File.expand_path("../../lib", __dir__)
    out, err, status = Open3.capture3({ "URL" => emulator.base_url, "TOKEN" => emulator.token },
                                      RbConfig.ruby, "-I", lib, "-e", script)
    expect(status).to be_success, err
    expect(out).to eq("true\n")
  end
end
