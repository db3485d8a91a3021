-- ssisd: the package tables of a SQL Server 2005 msdb (sysdtspackagefolders90 and
-- sysdtspackages90, same columns as their 2008 successors), without procedures. Used by the
-- tests to exercise the table-based store for older instances on a modern server; a real 2005
-- msdb already has them. Idempotent; batches separated by GO.

IF OBJECT_ID(N'dbo.sysdtspackagefolders90', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.sysdtspackagefolders90 (
        folderid uniqueidentifier NOT NULL CONSTRAINT PK_sysdtspackagefolders90 PRIMARY KEY NONCLUSTERED,
        parentfolderid uniqueidentifier NULL,
        foldername sysname NOT NULL
    );
    CREATE UNIQUE CLUSTERED INDEX U_sysdtspackagefoldersuniquepath
        ON dbo.sysdtspackagefolders90 (parentfolderid, foldername);
END
GO

IF OBJECT_ID(N'dbo.sysdtspackages90', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.sysdtspackages90 (
        name sysname NOT NULL,
        id uniqueidentifier NOT NULL,
        description nvarchar(1024) NULL,
        createdate datetime NOT NULL,
        folderid uniqueidentifier NOT NULL,
        ownersid varbinary(85) NOT NULL,
        packagedata image NOT NULL,
        packageformat int NOT NULL,
        packagetype int NOT NULL DEFAULT (0),
        vermajor int NOT NULL,
        verminor int NOT NULL,
        verbuild int NOT NULL,
        vercomments nvarchar(1024) NULL,
        verid uniqueidentifier NOT NULL,
        isencrypted bit NOT NULL DEFAULT (0),
        readrolesid varbinary(85) NULL,
        writerolesid varbinary(85) NULL,
        CONSTRAINT pk_sysdtspackages90 PRIMARY KEY NONCLUSTERED (folderid, name)
    );
END
GO

IF NOT EXISTS (SELECT 1 FROM dbo.sysdtspackagefolders90 WHERE folderid = '00000000-0000-0000-0000-000000000000')
    INSERT INTO dbo.sysdtspackagefolders90 (folderid, parentfolderid, foldername)
    VALUES ('00000000-0000-0000-0000-000000000000', NULL, N'');
IF NOT EXISTS (SELECT 1 FROM dbo.sysdtspackagefolders90 WHERE folderid = '08AA12D5-8F98-4DAB-A4FC-980B150A5DC8')
    INSERT INTO dbo.sysdtspackagefolders90 (folderid, parentfolderid, foldername)
    VALUES ('08AA12D5-8F98-4DAB-A4FC-980B150A5DC8', '00000000-0000-0000-0000-000000000000', N'Maintenance Plans');
GO
