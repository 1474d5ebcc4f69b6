# frozen_string_literal: true

module IntercomSync
  # Writes what the sync learned back to the app's user and teams, after the remote calls
  # succeeded. The user gets one update! (all or nothing); ids learned from Intercom are saved
  # even when the sync failed later, so a retry finds the same contact and companies instead
  # of creating new ones.
  #
  # The changes are worked out first; the writes then run in one transaction, holding the write
  # lock of a SQLite database (SQLiteWriteLock) and a connection only for that long.
  class LocalUpdates
    def initialize(user, raw, config)
      @user = user
      @raw = raw
      @config = config
    end

    # Returns whether a time zone from Intercom was saved.
    def apply(ids_only: false)
      user_changes, writes = Database.with_connection(@user.class) do
        changes = user_changes(ids_only)
        [changes, (changes.empty? ? [] : [[@user, changes]]) + team_writes]
      end
      save(writes) unless writes.empty?
      timezone = @config.user_attributes[:timezone]
      !timezone.nil? && user_changes.key?(timezone)
    end

    private

    # The lock first, then a connection: a thread waiting for its turn holds none.
    def save(writes)
      SQLiteWriteLock.synchronize(writes.map { |record, _| record.class }) do
        Database.with_connection(@user.class) do
          transaction { writes.each { |record, changes| write(record, changes) } }
        end
      end
    end

    def transaction(&block)
      klass = @user.class
      klass.respond_to?(:transaction) ? klass.transaction(&block) : block.call
    end

    def user_changes(ids_only)
      a = @config.user_attributes
      learned = @raw["user"] || {}
      changes = {}
      if learned["intercom_user_id"]
        metadata = Snapshot.metadata_of(@user, a[:metadata]).merge("intercom_user_id" => learned["intercom_user_id"])
        changes[a[:metadata]] = MetadataColumn.dump(@user, a[:metadata], metadata)
      end
      unless ids_only
        changes[a[:name]] = learned["name"] if learned.key?("name")
        changes[a[:phone]] = learned["phone"] if learned.key?("phone")
        changes[a[:last_request_at]] = Time.at(learned["last_request_at"]).utc if learned.key?("last_request_at")
        timezone = timezone_change
        changes[a[:timezone]] = timezone if timezone
      end
      changes.compact!
      changes.delete(nil) # a field the app mapped to nil (its model has none) is not saved
      changes
    end

    # Intercom's zone for the user, when it is a valid IANA name and differs from ours.
    def timezone_change
      zone = @raw["remote_timezone"]
      return nil if zone.nil? || @config.user_attributes[:timezone].nil?

      unless Timezone.valid?(zone)
        @config.logger.error(@config.redact("[intercom_sync] Ignored invalid timezone #{zone.inspect} for user #{@raw['contact_id']}"))
        return nil
      end
      current = Snapshot.read(@user, @config.user_attributes[:timezone])
      current.to_s == zone ? nil : zone
    end

    # [team, changes] for each team whose company ids were learned.
    def team_writes
      t = @config.team_attributes
      (@raw["teams"] || []).filter_map do |learned|
        team = find_team(learned["id"])
        next unless team # (ModelContract checked its metadata before the first request)

        metadata = Snapshot.metadata_of(team, t[:metadata]).merge("intercom_company_id" => learned["intercom_company_id"])
        metadata["intercom_company_digest"] = learned["intercom_company_digest"] if learned["intercom_company_digest"]
        [team, { t[:metadata] => MetadataColumn.dump(team, t[:metadata], metadata) }]
      end
    end

    def find_team(id)
      a = @config.user_attributes
      teams = Array(Snapshot.read(@user, a[:owned_teams])) + Array(Snapshot.read(@user, a[:teams]))
      teams.find { |team| Snapshot.read(team, @config.team_attributes[:id]).to_s == id }
    end

    def write(record, changes)
      if record.respond_to?(:update!)
        record.update!(changes)
      else
        record.update(changes) || raise(InvalidInputError, "could not save #{record.class} #{changes.keys.join(', ')}")
      end
    end
  end
end
