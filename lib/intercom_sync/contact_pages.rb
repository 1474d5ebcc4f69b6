# frozen_string_literal: true

require "uri"

module IntercomSync
  # Reads the workspace's contacts 150 at a time (GET /contacts, cursor pagination) for bulk
  # syncs: one request stands in for up to 150 per-user lookups (the batch variant of the
  # minimal-call plan). Search is not used for this: it is eventually consistent.
  class ContactPages
    PER_PAGE = 150
    # Contacts created while we page make the list longer than its first total_count said.
    SLACK_PAGES = 20
    # Pages read at most, however many users are synced (1.5 million contacts); the users not
    # reached by then are looked up one by one.
    MAX_PAGES = 10_000

    attr_reader :requests, :max_pages

    # for_users: how many users the pages are read for. A page stands in for lookups, so reading
    # more pages than there are users costs more than looking each one up: that (plus the slack,
    # up to MAX_PAGES) bounds the read, whatever total_count the server claims.
    # pool: the WorkerPool whose worker reads ahead (perform_all's, so a long-lived process starts
    # no thread per call); nil: a thread of its own.
    def initialize(client, for_users: nil, pool: nil)
      @client = client
      @pool = pool
      @requests = 0
      @for_users = for_users
      @max_pages = [(for_users || MAX_PAGES) + SLACK_PAGES, MAX_PAGES].min
    end

    # Contacts in the workspace according to the first page; nil when Intercom did not say.
    def total_count
      first_page.total_count
    end

    def total_pages
      total_count && (total_count + PER_PAGE - 1) / PER_PAGE
    end

    # Whether reading every page costs fewer requests than looking users up one by one: at
    # most one page per two users to sync (when every page is listed, each user found saves
    # a lookup, and even a workspace of which only half are ours pays off).
    def worth_reading_for?(user_count)
      pages = total_pages
      !pages.nil? && pages.positive? && pages * 2 <= user_count
    end

    # Whether the first page is the whole list: then reading it all cost one request already.
    def single_page?
      first_page.next_cursor.nil?
    end

    # Yields each page's users as { external_id => the contact's JSON text } (leads and
    # contacts without an external_id or an id left out: the engine's own check, so no contact
    # is handed over only to be refused), the form the engine takes it in (Snapshot's contact:).
    # Raises ParseError for a list that is not one, or goes on past the
    # bound (max_pages, or fewer when total_count says so: the server may only lower it).
    #
    # The next page is read while this one's users are handed out (by another thread, one page
    # ahead): each needs the cursor of the one before, so pages are read one after another, and
    # without the overlap each would cost its round trip plus the hand-out.
    def each_page
      return to_enum(:each_page) unless block_given?

      ahead = Queue.new
      wanted = Queue.new # a page taken: the reader may fetch the next one
      reader = start_reader { read_all(ahead, wanted) }
      while (kind, value = ahead.pop)
        raise value if kind == :error
        break if kind == :end

        wanted << true
        yield value.contacts
      end
      reader.value # over (a pooled worker is back in the pool before the ensure looks)
    ensure
      # the block raised, or the caller was interrupted: no page is read for nobody
      reader&.cancel
    end

    private

    # A thread of its own, as much of a WorkerPool::Task as each_page uses.
    ReaderThread = Struct.new(:thread) do
      def value = thread.value

      def cancel = thread.kill.join
    end

    def start_reader(&block)
      return @pool.start([["contact pages", block]]).first if @pool

      thread = Thread.new(&block)
      thread.name = "intercom_sync contact pages"
      thread.report_on_exception = false
      ReaderThread.new(thread)
    end

    # Pushes [:page, page] for each page, then [:end], or [:error, error] where reading stopped;
    # fetches a page only once the one before was taken (wanted), so it is never two ahead.
    def read_all(ahead, wanted)
      page = first_page
      limit = [total_pages&.+(SLACK_PAGES), max_pages].compact.min
      pages = 1
      loop do
        ahead << [:page, page]
        cursor = page.next_cursor
        break unless cursor && page.listed.positive?
        if pages >= limit
          raise ParseError, "GET /contacts did not end after #{pages} pages (read for #{@for_users.inspect} users; " \
                            "the list claims #{total_count.inspect} contacts)"
        end

        wanted.pop
        page = fetch(cursor)
        pages += 1
      end
      ahead << [:end]
    rescue Exception => e # rubocop:disable Lint/RescueException -- handed to the reading thread, which raises it
      ahead << [:error, e]
    end

    def first_page
      @first_page ||= fetch(nil)
    end

    def fetch(cursor)
      path = +"/contacts?per_page=#{PER_PAGE}"
      path << "&starting_after=#{URI.encode_www_form_component(cursor)}" if cursor
      @requests += 1
      @client.contact_page(path)
    end
  end
end
