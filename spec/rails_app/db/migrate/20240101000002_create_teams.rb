class CreateTeams < ActiveRecord::Migration[7.2]
  def change
    create_table :teams do |t|
      t.string :domain, null: false
      t.decimal :monthly_spend, precision: 10, scale: 2
      t.string :tier
      t.references :owner, foreign_key: { to_table: :users }
      t.timestamps
    end

    create_table :memberships do |t|
      t.references :user, null: false, foreign_key: true
      t.references :team, null: false, foreign_key: true
      t.timestamps
    end
  end
end
