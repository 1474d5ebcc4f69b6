# Sample data for trying the sync (and for the end-to-end specs): three teams, each owned by one
# of SEED_USERS users (default 30), every user a member of one or two teams. Idempotent.
count = Integer(ENV.fetch("SEED_USERS", "30"))
plans = %w[free pro enterprise]
signed_up = Time.utc(2024, 1, 15, 9)

users = Array.new(count) do |i|
  User.find_or_create_by!(email: "user#{i + 1}@example.com") do |user|
    user.name = i.even? ? "User #{i + 1}" : nil
    user.plan = plans[i % plans.size]
    user.seats = (i % 7) + 1
    user.api_token = "secret-#{i + 1}" # a filtered name: never sent to Intercom
    user.created_at = user.updated_at = signed_up + i.days
    user.last_request_at = signed_up + (i + 30).days
  end
end

teams = %w[acme.test globex.test initech.test].each_with_index.map do |domain, i|
  Team.find_or_create_by!(domain: domain) do |team|
    team.owner = users[i]
    team.tier = %w[gold silver bronze][i]
    team.monthly_spend = 100 * (i + 1)
    team.created_at = signed_up - 30.days
  end
end

users.each_with_index do |user, i|
  [teams[i % teams.size], (teams[(i + 1) % teams.size] if i.odd?)].compact.each do |team|
    Membership.find_or_create_by!(user: user, team: team)
  end
end
